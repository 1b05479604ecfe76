"""The size cap on answers, over real sockets: a 200 MB body is refused without reading it.

Each hostile server offers 200 MB and counts what the client took off the socket; the kernel's
socket buffers hold a few megabytes of it, the rest is never sent.
"""

from __future__ import annotations

import socket
import time
import tracemalloc
import zlib
from collections.abc import Callable

import pytest

from notifiedby.conf import DEFAULT_MAX_RESPONSE_BYTES
from notifiedby.exceptions import NotifiedByAPIError
from tests.client.conftest import MakeClient
from tests.client.hostile import HostileServer, hostile_server

HUGE = 200 * 10**6
BLOCK = bytes(64 * 1024)
MB = 10**6


def offer_with_length(server: HostileServer, connection: socket.socket, head: bytes) -> None:
    """Announce 200 MB with Content-Length, then send as much of it as the client takes."""
    headers = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {HUGE}\r\n\r\n"
    if server.send(connection, headers.encode()):
        _offer(server, connection, lambda block: block)


def offer_chunked(server: HostileServer, connection: socket.socket, head: bytes) -> None:
    """Send 200 MB in chunks, no length announced."""
    if server.send(connection, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"):
        _offer(server, connection, lambda block: b"%x\r\n%b\r\n" % (len(block), block))


def _offer(
    server: HostileServer, connection: socket.socket, frame: Callable[[bytes], bytes]
) -> None:
    sent = 0
    while sent < HUGE and server.send(connection, frame(BLOCK)):
        sent += len(BLOCK)


def refused(make_client: MakeClient, url: str, **options: object) -> tuple[NotifiedByAPIError, int]:
    """Return the error of a GET to ``url`` and the peak memory the call added, in bytes."""
    client = make_client(base_url=url, **options)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        with pytest.raises(NotifiedByAPIError) as info:
            client.get("/email/list/")
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    return info.value, peak


def test_an_announced_200_mb_body_is_refused_unread(
    make_client: MakeClient, record_property: Callable[[str, object], None]
) -> None:
    with hostile_server(offer_with_length) as server:
        error, peak = refused(make_client, server.url)
        server.wait_idle()

    assert error.status_code == 200
    message = str(error)
    assert "larger than the limit of 50 MiB (NOTIFIEDBY_MAX_RESPONSE_BYTES)" in message
    assert "and (200,000,000 bytes announced) was not read (HTTP 200 on GET" in message
    assert "max_response_bytes=" in message
    assert server.sent < 20 * MB  # only what the socket buffers took before the close
    assert peak < 5 * MB
    record_property(
        "figures",
        f"Content-Length 200 MB: server got {server.sent / MB:.1f} MB out, "
        f"client memory peak +{peak / MB:.1f} MB",
    )


def test_a_chunked_200_mb_body_is_refused_at_the_cap(
    make_client: MakeClient, record_property: Callable[[str, object], None]
) -> None:
    with hostile_server(offer_chunked) as server:
        started = time.monotonic()
        error, peak = refused(make_client, server.url)
        elapsed = time.monotonic() - started
        server.wait_idle()

    assert error.status_code == 200
    assert "larger than the limit of 50 MiB" in str(error)
    assert "was dropped after its first 50 MiB (HTTP 200 on GET /email/list/)" in str(error)
    cap = DEFAULT_MAX_RESPONSE_BYTES
    assert cap < server.sent < cap + 20 * MB  # the cap, one chunk and the socket buffers
    assert server.sent < HUGE / 3
    assert peak < cap + 10 * MB
    record_property(
        "figures",
        f"chunked 200 MB: server got {server.sent / MB:.1f} MB out, client memory peak "
        f"+{peak / MB:.1f} MB, refused in {elapsed:.2f} s",
    )


def test_a_compressed_body_is_capped_by_its_decoded_size(
    make_client: MakeClient, record_property: Callable[[str, object], None]
) -> None:
    gzip = zlib.compressobj(wbits=31)
    bomb = b"".join(gzip.compress(bytes(2**20)) for _ in range(200)) + gzip.flush()

    def serve(server: HostileServer, connection: socket.socket, head: bytes) -> None:
        headers = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            f"Content-Length: {len(bomb)}\r\n\r\n"
        )
        server.send(connection, headers.encode() + bomb)

    with hostile_server(serve) as server:
        error, peak = refused(make_client, server.url)

    assert "larger than the limit of 50 MiB" in str(error)
    assert peak < DEFAULT_MAX_RESPONSE_BYTES + 10 * MB
    record_property(
        "figures",
        f"gzip bomb ({len(bomb) / MB:.2f} MB, 210 MB decoded): client memory peak "
        f"+{peak / MB:.1f} MB",
    )


@pytest.mark.parametrize("chunked", [False, True], ids=["with a length", "chunked"])
def test_the_cap_is_a_setting_and_an_answer_at_the_cap_is_read(
    make_client: MakeClient, chunked: bool
) -> None:
    body = b'{"results": [], "count": 0, "next": null, "previous": null}'

    def serve(server: HostileServer, connection: socket.socket, head: bytes) -> None:
        framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(body)
        payload = b"%x\r\n%b\r\n0\r\n\r\n" % (len(body), body) if chunked else body
        server.send(connection, b"HTTP/1.1 200 OK\r\n%b\r\n\r\n%b" % (framing, payload))

    with hostile_server(serve) as server:
        exact = make_client(base_url=server.url, max_response_bytes=len(body))
        smaller = make_client(base_url=server.url, max_response_bytes=len(body) - 1)

        assert exact.get("/email/list/")["count"] == 0
        with pytest.raises(NotifiedByAPIError, match=f"limit of {len(body) - 1:,} bytes"):
            smaller.get("/email/list/")


def test_the_cap_comes_from_the_environment(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_MAX_RESPONSE_BYTES", "1024")
    monkeypatch.setenv("NOTIFIEDBY_DEADLINE", "7.5")

    client = make_client()

    assert client.max_response_bytes == 1024
    assert client.deadline == 7.5
