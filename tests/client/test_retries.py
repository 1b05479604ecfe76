"""Retries and timeouts against real faults: what is repeated, what is never repeated."""

from __future__ import annotations

import logging
import time

import pytest

from notifiedby.exceptions import (
    NotifiedByConnectionError,
    NotifiedByRateLimitError,
    NotifiedByServerError,
    NotifiedByTimeoutError,
)
from notifiedby.sandbox import Sandbox
from tests.client.conftest import MakeClient

SEND = {"recipient": "alice@example.com", "subject": "Hello", "body": "<p>Hi</p>"}


def retry_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "notifiedby" and r.levelno == logging.WARNING
    ]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_on_gateway_errors(
    make_client: MakeClient, sandbox: Sandbox, caplog: pytest.LogCaptureFixture, status: int
) -> None:
    sandbox.inject_fault(status, count=2)

    assert make_client().get("/email/list/")["count"] == 0

    assert [r.status for r in sandbox.requests] == [status, status, 200]
    assert retry_warnings(caplog) == [
        f"Retrying GET /email/list/ in 0.00 s after {status} (attempt 2 of 3)",
        f"Retrying GET /email/list/ in 0.00 s after {status} (attempt 3 of 3)",
    ]


def test_delete_is_retried_too(make_client: MakeClient, sandbox: Sandbox) -> None:
    client = make_client()
    client.post("/flows/subscribe/", json={"flow_trigger": "WELCOME_SIGNUP", "email": "a@x.io"})
    sandbox.inject_fault(503, count=1, method="DELETE")

    gone = client.delete(
        "/flows/subscriptions/", params={"email": "a@x.io", "flow_trigger": "WELCOME_SIGNUP"}
    )

    assert gone is None
    assert [(r.method, r.status) for r in sandbox.requests] == [
        ("POST", 201),
        ("DELETE", 503),
        ("DELETE", 204),
    ]


def test_retries_stop_at_max_retries(make_client: MakeClient, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, count=5)

    with pytest.raises(NotifiedByServerError):
        make_client(max_retries=1).get("/email/list/")

    assert len(sandbox.requests) == 2


def test_get_is_not_retried_on_500(make_client: MakeClient, sandbox: Sandbox) -> None:
    sandbox.inject_fault(500, count=2)

    with pytest.raises(NotifiedByServerError):
        make_client().get("/email/list/")

    assert len(sandbox.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_is_never_retried_after_a_server_error(
    make_client: MakeClient, sandbox: Sandbox, status: int
) -> None:
    sandbox.inject_fault(status, count=3, retry_after=0)

    with pytest.raises(NotifiedByServerError) as caught:
        make_client().post("/email/send/", json=SEND)

    assert len(sandbox.requests) == 1
    assert "may have been acted on" in str(caught.value)


@pytest.mark.parametrize("after", [False, True])
def test_post_is_never_retried_after_a_dropped_connection(
    make_client: MakeClient, sandbox: Sandbox, after: bool
) -> None:
    sandbox.inject_fault(drop=True, after=after, count=3)

    with pytest.raises(NotifiedByConnectionError) as caught:
        make_client().post("/email/send/", json=SEND)

    assert type(caught.value) is NotifiedByConnectionError
    assert caught.value.maybe_sent is True
    assert caught.value.method == "POST"
    assert "may have reached the server" in str(caught.value)
    assert len(sandbox.requests) == 1
    assert len(sandbox.emails) == (1 if after else 0)


def test_get_is_retried_after_a_dropped_connection(
    make_client: MakeClient, sandbox: Sandbox
) -> None:
    sandbox.inject_fault(drop=True, count=1)

    assert make_client().get("/email/list/")["results"] == []

    assert [r.status for r in sandbox.requests] == [None, 200]


def test_post_after_a_read_timeout_is_sent_once(make_client: MakeClient, sandbox: Sandbox) -> None:
    sandbox.inject_fault(latency=2.0, method="POST", count=3)
    client = make_client(timeout=(2, 0.3))

    started = time.monotonic()
    with pytest.raises(NotifiedByTimeoutError) as caught:
        client.post("/email/send/", json=SEND)

    assert time.monotonic() - started < 1.5
    assert caught.value.maybe_sent is True
    assert "Timed out waiting" in str(caught.value)
    assert len(sandbox.requests) == 1


def test_get_after_a_read_timeout_is_retried(make_client: MakeClient, sandbox: Sandbox) -> None:
    sandbox.inject_fault(latency=2.0, count=1)

    assert make_client(timeout=(2, 0.3)).get("/email/list/")["count"] == 0

    assert len(sandbox.requests) == 2


def test_a_server_that_never_answers_fails_within_the_timeout(
    make_client: MakeClient, silent_server: str
) -> None:
    client = make_client(base_url=silent_server, timeout=(1, 0.3), max_retries=0)

    started = time.monotonic()
    with pytest.raises(NotifiedByTimeoutError):
        client.get("/email/list/")
    assert time.monotonic() - started < 1.0

    # With retries a GET tries three times, each bounded by the read timeout.
    client.max_retries = 2
    started = time.monotonic()
    with pytest.raises(NotifiedByTimeoutError):
        client.get("/email/list/")
    assert 0.9 <= time.monotonic() - started < 2.5


def test_a_per_call_timeout_overrides_the_clients(
    make_client: MakeClient, sandbox: Sandbox
) -> None:
    sandbox.inject_fault(latency=2.0, count=1)
    client = make_client(timeout=30, max_retries=0)

    started = time.monotonic()
    with pytest.raises(NotifiedByTimeoutError):
        client.get("/email/list/", timeout=0.3)

    assert time.monotonic() - started < 1.5


def test_connection_refused_is_retried_even_for_post(
    make_client: MakeClient, closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{closed_port}")

    with pytest.raises(NotifiedByConnectionError) as caught:
        client.post("/email/send/", json=SEND)

    error = caught.value
    assert type(error) is NotifiedByConnectionError
    assert error.maybe_sent is False
    assert "connection refused" in str(error)
    assert "the request was not sent" in str(error)
    assert len(retry_warnings(caplog)) == 2
    assert isinstance(error.__cause__, Exception)
    assert type(error.__cause__).__module__.startswith("requests")


def test_a_connect_timeout_is_retried_even_for_post(
    make_client: MakeClient, unreachable_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(base_url=unreachable_server, timeout=(0.2, 5))

    started = time.monotonic()
    with pytest.raises(NotifiedByTimeoutError) as caught:
        client.post("/email/send/", json=SEND)

    assert caught.value.maybe_sent is False
    assert "Timed out connecting" in str(caught.value)
    assert len(retry_warnings(caplog)) == 2
    assert 0.6 <= time.monotonic() - started < 2.0


def test_post_honours_a_short_retry_after_on_429(make_client: MakeClient, sandbox: Sandbox) -> None:
    sandbox.inject_fault(429, retry_after=1, count=1)

    started = time.monotonic()
    sent = make_client().post("/email/send/", json=SEND)

    assert time.monotonic() - started >= 1.0
    assert [r.status for r in sandbox.requests] == [429, 200]
    assert [e.id for e in sandbox.emails] == [sent["id"]]


def test_get_honours_retry_after_on_503(make_client: MakeClient, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, retry_after=1, count=1)

    started = time.monotonic()
    make_client().get("/email/list/")

    assert time.monotonic() - started >= 1.0
    assert len(sandbox.requests) == 2


def test_a_long_retry_after_is_raised_at_once(make_client: MakeClient, sandbox: Sandbox) -> None:
    sandbox.inject_fault(429, retry_after=120, count=1)

    started = time.monotonic()
    with pytest.raises(NotifiedByRateLimitError) as caught:
        make_client().get("/email/list/")

    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after == 120.0
    assert caught.value.daily_quota is False
    assert "wait 120 s" in str(caught.value)
    assert len(sandbox.requests) == 1


def test_a_429_without_retry_after_is_not_retried(
    make_client: MakeClient, sandbox: Sandbox
) -> None:
    sandbox.inject_fault(429, count=1)

    with pytest.raises(NotifiedByRateLimitError):
        make_client().get("/email/list/")

    assert len(sandbox.requests) == 1


def test_the_idempotency_key_is_the_same_on_every_retry(
    make_client: MakeClient, sandbox: Sandbox
) -> None:
    sandbox.inject_fault(429, retry_after=0, count=2)

    make_client().post("/email/send/", json=SEND)

    keys = [r.idempotency_key for r in sandbox.requests]
    assert len(keys) == 3
    assert keys[0] is not None
    assert len(set(keys)) == 1
    assert sandbox.emails[0].idempotency_key == keys[0]


def test_a_given_idempotency_key_survives_retries(
    make_client: MakeClient, sandbox: Sandbox
) -> None:
    sandbox.inject_fault(429, retry_after=0, count=1)

    make_client().post("/email/send/", json=SEND, idempotency_key="outbox-7")

    assert [r.idempotency_key for r in sandbox.requests] == ["outbox-7", "outbox-7"]


def test_a_retried_multipart_post_sends_the_same_file(
    make_client: MakeClient, sandbox: Sandbox
) -> None:
    import io

    sandbox.inject_fault(429, retry_after=0, count=1)

    make_client().post(
        "/email/send/", data=SEND, files={"attachment": ("a.txt", io.BytesIO(b"hello"))}
    )

    assert [a.content for a in sandbox.emails[0].attachments] == [b"hello"]
