"""The deadline of a call, over real sockets: trickling servers, retries and waits.

A server that sends one byte a second never lets a 2 s read timeout fire; only the deadline
ends the call. Each test measures when the call ended against its deadline.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from notifiedby.client import NotifiedByClient
from notifiedby.conf import default_deadline, resolve_client_settings
from notifiedby.exceptions import (
    NotifiedByConfigError,
    NotifiedByDeadlineExceeded,
    NotifiedByInvalidArgument,
    NotifiedByRateLimitError,
    NotifiedByTimeoutError,
)
from notifiedby.sandbox import Sandbox
from tests.client.conftest import MakeClient
from tests.client.hostile import HostileServer, hostile_server

DEADLINE = 3.0
#: What the issue allows past the deadline.
OVERSHOOT = 1.0
SEND = {"recipient": "a@example.com", "subject": "Hi", "body": "<p>Hi</p>"}


def trickle_headers(server: HostileServer, connection: socket.socket, head: bytes) -> None:
    """A status line, then one header whose value never ends."""
    if server.send(connection, b"HTTP/1.1 200 OK\r\nX-Slow: "):
        server.trickle(connection)


def trickle_body(server: HostileServer, connection: socket.socket, head: bytes) -> None:
    """Headers announcing a megabyte, then the body one byte a second."""
    headers = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"
    if server.send(connection, headers):
        server.trickle(connection, b" ")


def trickle_chunk(server: HostileServer, connection: socket.socket, head: bytes) -> None:
    """A chunked answer whose first chunk, a megabyte long, comes one byte a second."""
    headers = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nf4240\r\n"
    if server.send(connection, headers):
        server.trickle(connection, b" ")


TRICKLES: dict[str, Callable[[HostileServer, socket.socket, bytes], None]] = {
    "status and headers": trickle_headers,
    "body with a length": trickle_body,
    "chunked body": trickle_chunk,
}


def timed(call: Callable[[], Any]) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(NotifiedByTimeoutError) as info:
        call()
    return info.value, time.monotonic() - started


@pytest.mark.parametrize("phase", list(TRICKLES))
def test_the_deadline_ends_a_get_against_a_trickling_server(
    make_client: MakeClient, phase: str, record_property: Callable[[str, object], None]
) -> None:
    with hostile_server(TRICKLES[phase]) as server:
        client = make_client(base_url=server.url, timeout=2, deadline=DEADLINE)

        error, elapsed = timed(lambda: client.get("/email/list/"))

        assert isinstance(error, NotifiedByDeadlineExceeded)
        assert DEADLINE - 0.05 <= elapsed <= DEADLINE + OVERSHOOT
        assert error.deadline == DEADLINE
        assert error.maybe_sent is True
        assert str(error).startswith("GET /email/list/ did not finish within its deadline of 3 s")
        assert "NOTIFIEDBY_DEADLINE or deadline=" in str(error)
        # The one attempt ran out the deadline: there was no time left to retry.
        assert len(server.heads) == 1
        assert server.sent > 2  # bytes kept coming: the read timeout alone never fired
    record_property("figures", f"{phase}: ended {elapsed - DEADLINE:+.3f} s after a 3 s deadline")


def test_the_deadline_ends_a_post_which_is_never_repeated(
    make_client: MakeClient, record_property: Callable[[str, object], None]
) -> None:
    with hostile_server(trickle_body) as server:
        client = make_client(base_url=server.url, timeout=(1, 2), deadline=DEADLINE)

        error, elapsed = timed(lambda: client.post("/email/send/", json=SEND))

        assert isinstance(error, NotifiedByDeadlineExceeded)
        assert elapsed <= DEADLINE + OVERSHOOT
        assert error.maybe_sent is True
        assert "POST /email/send/" in str(error)
        assert len(server.heads) == 1  # never repeated: the server may have acted
    record_property("figures", f"POST: ended {elapsed - DEADLINE:+.3f} s after a 3 s deadline")


def test_a_per_call_deadline_overrides_the_clients(make_client: MakeClient) -> None:
    with hostile_server(trickle_headers) as server:
        client = make_client(base_url=server.url, timeout=5, deadline=60)

        error, elapsed = timed(lambda: client.get("/email/list/", deadline=1))

        assert isinstance(error, NotifiedByDeadlineExceeded)
        assert error.deadline == 1
        assert elapsed <= 1 + OVERSHOOT


def test_the_deadline_covers_the_waits_between_attempts(
    make_client: MakeClient, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    # A POST is retried after a 429 with a short Retry-After; the second wait would end past
    # the deadline, so the call stops with the last answer instead of sleeping into it.
    sandbox.inject_fault(429, retry_after=1.2, body={"detail": "Slow down."}, count=10)
    client = make_client(deadline=2.0, max_retries=5)
    started = time.monotonic()

    with pytest.raises(NotifiedByRateLimitError):
        client.post("/email/send/", json=SEND, idempotency_key="deadline-test-1")

    elapsed = time.monotonic() - started
    assert 1.2 <= elapsed < 2.0
    keys = [r.headers.get("Idempotency-Key") for r in sandbox.requests]
    assert keys == ["deadline-test-1", "deadline-test-1"]
    assert "would pass its 2 s deadline" in caplog.text


def test_a_call_within_its_deadline_is_unchanged(client: NotifiedByClient) -> None:
    assert client.get("/email/list/", deadline=5)["results"] == []


def test_the_default_deadline_is_derived_from_the_timeouts_and_retries(
    sandbox: Sandbox,
) -> None:
    client = NotifiedByClient(sandbox.api_key, sandbox.url)
    tight = NotifiedByClient(sandbox.api_key, sandbox.url, timeout=(1, 4), max_retries=1)
    fixed = NotifiedByClient(sandbox.api_key, sandbox.url, deadline=12.5)

    assert client.deadline == 3 * (5 + 30) + 2 * 30 == 165
    assert default_deadline((5.0, 30.0), 2) == 165
    assert tight.deadline == 2 * (1 + 4) + 30
    assert fixed.deadline == 12.5
    # A call's own timeout gives it its own derived deadline.
    assert client._deadline_for((1.0, 1.0)) == 3 * 2 + 2 * 30


@pytest.mark.parametrize("bad", [0, -1, float("inf"), "soon"])
def test_a_bad_per_call_deadline_is_refused_before_sending(
    client: NotifiedByClient, sandbox: Sandbox, bad: Any
) -> None:
    with pytest.raises(NotifiedByInvalidArgument, match="deadline must be a positive number"):
        client.get("/email/list/", deadline=bad)
    assert sandbox.requests == []


def test_the_deadline_applies_to_a_session_of_your_own_between_chunks(
    make_client: MakeClient,
) -> None:
    def trickle_chunks(server: HostileServer, connection: socket.socket, head: bytes) -> None:
        # Whole chunks, one a second: a session the client did not build is checked between
        # the chunks it reads.
        if server.send(connection, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"):
            while server.send(connection, b"1\r\n \r\n"):
                time.sleep(0.2)

    with hostile_server(trickle_chunks) as server, requests.Session() as session:
        client = make_client(base_url=server.url, timeout=2, deadline=1.5, session=session)

        error, elapsed = timed(lambda: client.get("/email/list/"))

    assert isinstance(error, NotifiedByDeadlineExceeded)
    assert elapsed <= 1.5 + OVERSHOOT


def test_deadline_logs_name_no_key(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="notifiedby")
    with hostile_server(trickle_headers) as server:
        client = make_client(base_url=server.url, timeout=2, deadline=1)
        timed(lambda: client.get("/email/list/"))
    assert client.settings.api_key not in caplog.text


def test_the_settings_resolve_like_every_other() -> None:
    django = SimpleNamespace(NOTIFIEDBY_DEADLINE=9, NOTIFIEDBY_MAX_RESPONSE_BYTES=2048)
    env = {"NOTIFIEDBY_DEADLINE": "1", "NOTIFIEDBY_MAX_RESPONSE_BYTES": "1"}

    settings = resolve_client_settings("key-0123456789", django_settings=django, environ=env)
    unset = resolve_client_settings("key-0123456789", django_settings=None, environ={})

    assert (settings.deadline, settings.max_response_bytes) == (9.0, 2048)
    assert (unset.deadline, unset.max_response_bytes) == (None, 50 * 2**20)
    bad = {"NOTIFIEDBY_MAX_RESPONSE_BYTES": "x"}
    with pytest.raises(NotifiedByConfigError, match="MAX_RESPONSE_BYTES must be a whole number"):
        resolve_client_settings("key-0123456789", django_settings=None, environ=bad)
