"""A server behind a proxy: its pagination links name the internal host the proxy forwards to.

The sandbox plays the app server and ``127.0.0.2`` on a closed port its internal address: a
small reverse proxy on 127.0.0.1 forwards each request with ``Host: 127.0.0.2:<port>``, so
the sandbox writes its ``next`` links on that address, as a Django app behind a proxy does.
The client must follow those links through the proxy (its base URL) and never connect to
127.0.0.2, where nothing listens: trying would fail with a connection error.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifiedby import NotifiedByClient, Recipient, Subscription
from notifiedby.sandbox import Sandbox

#: Another loopback address, playing the app server's internal host.
INTERNAL = "127.0.0.2"


class ReverseProxy(ThreadingHTTPServer):
    """Forward every request to ``upstream``, naming ``internal_host`` in its Host header."""

    daemon_threads = True

    def __init__(self, upstream: tuple[str, int], internal_host: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = upstream
        self.internal_host = internal_host
        #: The path and query of each request forwarded, in order.
        self.paths: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ReverseProxy

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        headers["Host"] = self.server.internal_host
        upstream = http.client.HTTPConnection(*self.server.upstream, timeout=10)
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.server.paths.append(self.path)
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("connection", "content-length", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass  # the test reads ``paths``; the log would only add noise


@pytest.fixture
def internal_port() -> int:
    """A port nothing listens on at 127.0.0.2: connecting there is refused."""
    with socket.socket() as probe:
        probe.bind((INTERNAL, 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def behind_proxy(internal_port: int) -> Iterator[tuple[Sandbox, ReverseProxy]]:
    """A sandbox that answers to the internal name, and a proxy in front of it."""
    internal_host = f"{INTERNAL}:{internal_port}"
    with Sandbox(allowed_hosts=[internal_host]) as server:
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        proxy = ReverseProxy((host, int(port)), internal_host)
        thread = threading.Thread(target=proxy.serve_forever, daemon=True)
        thread.start()
        try:
            yield server, proxy
        finally:
            proxy.shutdown()
            proxy.server_close()
            thread.join(2)


@pytest.fixture
def client(behind_proxy: tuple[Sandbox, ReverseProxy]) -> Iterator[NotifiedByClient]:
    """A client configured with the proxy's URL, as a user of the public address would be."""
    server, proxy = behind_proxy
    with NotifiedByClient(api_key=server.api_key, base_url=proxy.url, max_retries=0) as c:
        yield c


@pytest.mark.parametrize("server_pages", [False, True], ids=["client page size", "server's"])
def test_a_listing_follows_links_naming_the_internal_host_through_the_base_url(
    behind_proxy: tuple[Sandbox, ReverseProxy],
    client: NotifiedByClient,
    internal_port: int,
    server_pages: bool,
) -> None:
    server, proxy = behind_proxy
    emails = [f"user{i}@example.com" for i in range(5)]
    for email in emails:
        Recipient.objects.using(client).create(email=email)
    if server_pages:
        server.configure(ignore_page_size=True, page_size=2)
    first = client.get("/recipients/", params={"page_size": 2})
    assert first["next"].startswith(f"http://{INTERNAL}:{internal_port}/v1/recipients/?")
    proxy.paths.clear()

    listed = [r.email for r in Recipient.objects.using(client).iterator(chunk_size=2)]

    assert listed == emails
    # Three pages, each asked of the proxy; pages 2 and 3 are the links' path and query.
    assert [path.split("?")[0] for path in proxy.paths] == ["/v1/recipients/"] * 3
    assert "page=2" in proxy.paths[1]
    assert "page=3" in proxy.paths[2]
    assert {r.headers["Host"] for r in server.requests} == {f"{INTERNAL}:{internal_port}"}
    assert len(server.requests) == 5 + 1 + 3  # creates, the look at page 1, the listing


def test_filtered_links_keep_their_filters_and_reach_only_the_proxy(
    behind_proxy: tuple[Sandbox, ReverseProxy], client: NotifiedByClient
) -> None:
    server, proxy = behind_proxy
    server.configure(page_size=1, ignore_page_size=True)
    for email in ("ann@example.com", "bob@example.com", "cy@example.com"):
        Recipient.objects.using(client).create(email=email).subscribe("WELCOME_SIGNUP")
    proxy.paths.clear()

    subscriptions = Subscription.objects.using(client).filter(flow_trigger="WELCOME_SIGNUP")

    assert [s.recipient_email for s in subscriptions] == [
        "ann@example.com",
        "bob@example.com",
        "cy@example.com",
    ]
    assert len(proxy.paths) == 3
    assert all("flow_trigger=WELCOME_SIGNUP" in path for path in proxy.paths)
