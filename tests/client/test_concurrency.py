"""Connection pooling, threads sharing one client, forked children, and the lifecycle."""

from __future__ import annotations

import json
import os
import sys
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from notifiedby.client import NotifiedByClient
from notifiedby.sandbox import Sandbox
from tests.client.conftest import MakeClient


def connections(sandbox: Sandbox) -> list[int]:
    return [r.connection_id for r in sandbox.requests]


def test_calls_reuse_one_pooled_connection(client: NotifiedByClient, sandbox: Sandbox) -> None:
    for _ in range(5):
        client.get("/email/list/")
    client.post("/recipients/", json={"email": "a@x.io"})

    assert len(set(connections(sandbox))) == 1


def test_sixteen_threads_share_one_client_for_a_thousand_calls(
    client: NotifiedByClient, sandbox: Sandbox
) -> None:
    calls, threads = 1000, 16
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(n: int) -> int:
        barrier.wait()  # start together, so the pool really is contended
        done = 0
        for i in range(n, calls, threads):
            try:
                page = client.get("/email/list/", params={"page": 1, "n": i})
                assert page["count"] == 0
                done += 1
            except BaseException as exc:
                errors.append(exc)
        return done

    with ThreadPoolExecutor(threads) as pool:
        done = sum(pool.map(work, range(threads)))

    assert errors == []
    assert done == calls
    assert sorted(int(r.query["n"][0]) for r in sandbox.requests) == list(range(calls))
    # Pooled: at most one connection per thread, not one per call.
    assert len(set(connections(sandbox))) <= threads


def _in_child(work: Callable[[], object]) -> object:
    """Run ``work`` in a forked child and return what it returned (or raise what it raised)."""
    reader, writer = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a process with threads (the sandbox's); the
        # child only makes HTTP calls and exits, which is safe.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 0
        try:
            result: dict[str, object] = {"ok": work()}
        except BaseException as exc:
            result, code = {"error": repr(exc)}, 1
        try:
            os.write(writer, json.dumps(result, default=repr).encode())
        finally:
            sys.stdout.flush()
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    out = json.loads(payload or b"{}")
    assert os.waitstatus_to_exitcode(status) == 0, out
    return out["ok"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_opens_its_own_connection(
    client: NotifiedByClient, sandbox: Sandbox
) -> None:
    client.get("/email/list/")
    [parent_connection] = connections(sandbox)

    child_count = _in_child(lambda: client.post("/recipients/", json={"email": "c@x.io"})["email"])

    assert child_count == "c@x.io"
    child_connection = sandbox.requests[-1].connection_id
    assert child_connection != parent_connection
    # The parent's pooled socket is untouched: its next call still uses it and reads its answer.
    assert client.get("/recipients/")["results"][0]["email"] == "c@x.io"
    assert sandbox.requests[-1].connection_id == parent_connection


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_drops_the_sockets_of_a_session_it_was_given(
    make_client: MakeClient, sandbox: Sandbox
) -> None:
    with requests.Session() as session:
        client = make_client(session=session)
        client.get("/email/list/")
        [parent_connection] = connections(sandbox)

        _in_child(lambda: client.get("/email/list/"))

        assert sandbox.requests[-1].connection_id != parent_connection
        client.get("/email/list/")
        assert sandbox.requests[-1].connection_id == parent_connection


def test_close_releases_connections_and_a_later_call_reopens(
    client: NotifiedByClient, sandbox: Sandbox
) -> None:
    client.get("/email/list/")
    client.close()
    client.close()  # safe twice
    client.get("/email/list/")

    first, second = connections(sandbox)
    assert first != second


def test_context_manager_closes(make_client: MakeClient, sandbox: Sandbox) -> None:
    with make_client() as client:
        client.get("/email/list/")
    assert client._sessions.session is None


def test_a_session_passed_in_stays_open_and_is_used(
    make_client: MakeClient, sandbox: Sandbox
) -> None:
    with requests.Session() as session:
        session.headers["X-Trace"] = "t-1"
        client = make_client(session=session)
        client.get("/email/list/")
        client.close()
        client.get("/email/list/")

        assert all(r.headers.get("X-Trace") == "t-1" for r in sandbox.requests)
        assert len(set(connections(sandbox))) == 1
        assert client._sessions.session is session


def test_cookies_are_never_kept(make_client: MakeClient) -> None:
    seen: list[str | None] = []

    class SetsCookies(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append(self.headers.get("Cookie"))
            body = b"{}"
            self.send_response(200)
            self.send_header("Set-Cookie", "sticky=abc; Path=/")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), SetsCookies) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        client = make_client(base_url=f"http://127.0.0.1:{server.server_address[1]}")
        client.get("/x/")
        client.get("/x/")
        server.shutdown()

    assert seen == [None, None]
    assert len(client._sessions.get().cookies) == 0
