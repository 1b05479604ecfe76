"""The retry decision, the backoff and the jitter, each on its own.

Transport errors here are real: produced by requests against sockets that refuse, hang or
reset, so the classification is checked against what requests actually raises.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from notifiedby._retry import BACKOFF_MAX
from notifiedby._retry import never_sent as proves_never_sent
from notifiedby.client import MAX_RETRY_AFTER, NotifiedByClient
from notifiedby.sandbox import Sandbox


def response(status: int, body: Any = None, **headers: str) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = b"" if body is None else json.dumps(body).encode()
    answer.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    return answer


def raised(call: Any) -> requests.RequestException:
    try:
        call()
    except requests.RequestException as exc:
        return exc
    raise AssertionError("the call did not fail")


@pytest.fixture
def transport_errors(
    closed_port: int, unreachable_server: str, silent_server: str, sandbox: Sandbox
) -> dict[str, requests.RequestException]:
    sandbox.inject_fault(drop=True)
    with requests.Session() as session:
        return {
            "refused": raised(
                lambda: session.post(f"http://127.0.0.1:{closed_port}/v1/x/", timeout=2)
            ),
            "connect timeout": raised(
                lambda: session.post(unreachable_server + "/v1/x/", timeout=(0.2, 2))
            ),
            "read timeout": raised(lambda: session.post(silent_server + "/v1/x/", timeout=0.2)),
            "reset": raised(lambda: session.post(sandbox.url + "/v1/email/send/", timeout=2)),
            "tls": requests.exceptions.SSLError("certificate verify failed"),
            "broken body": requests.exceptions.ChunkedEncodingError("incomplete read"),
        }


#: kind -> (never sent?, retried for GET/DELETE?, retried for POST?)
TRANSPORT_TABLE = {
    "refused": (True, True, True),
    "connect timeout": (True, True, True),
    "read timeout": (False, True, False),
    "reset": (False, True, False),
    "tls": (False, False, False),
    "broken body": (False, True, False),
}


def test_transport_errors_retry_table(
    transport_errors: dict[str, requests.RequestException],
) -> None:
    client = NotifiedByClient("k", "http://127.0.0.1:1", max_retries=2)

    for kind, (never_sent, idempotent, post) in TRANSPORT_TABLE.items():
        error = transport_errors[kind]
        assert proves_never_sent(error) is never_sent, kind
        for method in ("GET", "DELETE"):
            assert client._should_retry(method, None, error, 1) is idempotent, (kind, method)
        assert client._should_retry("POST", None, error, 1) is post, kind
        assert client._should_retry("GET", None, error, 3) is False, kind  # out of retries


DAILY = {"error": "Daily limit of 100 emails has been reached"}
THROTTLED = {"detail": "Request was throttled."}

#: (status, body, headers) -> (retried for GET/DELETE?, retried for POST?)
STATUS_TABLE: list[tuple[int, Any, dict[str, str], bool, bool]] = [
    (500, None, {}, False, False),
    (502, None, {}, True, False),
    (503, None, {}, True, False),
    (504, None, {}, True, False),
    (503, None, {"Retry-After": "2"}, True, False),
    (503, None, {"Retry-After": str(MAX_RETRY_AFTER + 1)}, False, False),
    (429, THROTTLED, {}, False, False),
    (429, THROTTLED, {"Retry-After": "2"}, True, True),
    (429, THROTTLED, {"Retry-After": str(MAX_RETRY_AFTER)}, True, True),
    (429, THROTTLED, {"Retry-After": str(MAX_RETRY_AFTER + 1)}, False, False),
    (429, DAILY, {"Retry-After": "2"}, False, False),
    (400, {"detail": "bad"}, {}, False, False),
    (401, None, {}, False, False),
    (404, None, {}, False, False),
    (200, {"id": "JDT"}, {}, False, False),
]


@pytest.mark.parametrize(("status", "body", "headers", "idempotent", "post"), STATUS_TABLE)
def test_status_retry_table(
    status: int, body: Any, headers: dict[str, str], idempotent: bool, post: bool
) -> None:
    client = NotifiedByClient("k", "http://127.0.0.1:1", max_retries=2)
    answer = response(status, body, **headers)

    assert client._should_retry("GET", answer, None, 1) is idempotent
    assert client._should_retry("DELETE", answer, None, 2) is idempotent
    assert client._should_retry("POST", answer, None, 1) is post
    assert client._should_retry("GET", answer, None, 3) is False


def test_zero_retries_means_never() -> None:
    client = NotifiedByClient("k", "http://127.0.0.1:1", max_retries=0)

    assert client._should_retry("GET", response(503), None, 1) is False


def test_backoff_doubles_from_the_base_and_is_capped() -> None:
    client = NotifiedByClient("k", "http://127.0.0.1:1")
    client._jitter = lambda seconds: seconds  # type: ignore[method-assign]

    delays = [client._backoff(attempt) for attempt in range(1, 8)]

    assert delays == [0.5, 1.0, 2.0, 4.0, BACKOFF_MAX, BACKOFF_MAX, BACKOFF_MAX]


def test_backoff_never_waits_less_than_retry_after() -> None:
    client = NotifiedByClient("k", "http://127.0.0.1:1")
    client._jitter = lambda seconds: 0.0  # type: ignore[method-assign]

    assert client._backoff(1, retry_after=3.0) == 3.0
    assert client._backoff(1) == 0.0
    client._jitter = lambda seconds: seconds  # type: ignore[method-assign]
    assert client._backoff(4, retry_after=1.0) == 4.0


def test_jitter_is_full_jitter_between_zero_and_the_delay() -> None:
    client = NotifiedByClient("k", "http://127.0.0.1:1")

    samples = [client._jitter(2.0) for _ in range(2000)]

    assert all(0.0 <= s <= 2.0 for s in samples)
    assert min(samples) < 0.2
    assert max(samples) > 1.8
