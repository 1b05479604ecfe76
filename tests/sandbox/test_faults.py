"""Injected faults: status (+ Retry-After), latency, dropped connections; count, rate, scope."""

from __future__ import annotations

import time

import pytest
import requests

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

SEND = "/v1/email/send/"
MESSAGE = {"recipient": "ann@example.com", "subject": "s", "body": "<p>b</p>"}


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_status_with_retry_after(api: Api, sandbox: Sandbox, status: int) -> None:
    sandbox.inject_fault(status, retry_after=7)

    response = api.get("/v1/recipients/")

    assert response.status_code == status
    assert response.headers["Retry-After"] == "7"
    assert api.get("/v1/recipients/").status_code == 200


def test_status_without_retry_after(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503)

    response = api.get("/v1/recipients/")

    assert response.status_code == 503
    assert "Retry-After" not in response.headers


def test_status_with_a_custom_body(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, body={"detail": "Down for maintenance."})

    response = api.get("/v1/recipients/")

    assert response.json() == {"detail": "Down for maintenance."}


def test_status_strikes_before_acting_by_default(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, path=SEND)

    response = api.post(SEND, json=MESSAGE)

    assert response.status_code == 503
    assert sandbox.emails == []
    assert sandbox.requests[-1].status == 503
    assert sandbox.requests[-1].fault is not None


def test_status_after_acting(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(500, path=SEND, after=True)

    response = api.post(SEND, json=MESSAGE)

    assert response.status_code == 500
    assert len(sandbox.emails) == 1


def test_drop_before_acting(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(drop=True, path=SEND)

    with pytest.raises(requests.ConnectionError):
        api.post(SEND, json=MESSAGE)

    assert sandbox.emails == []
    assert sandbox.requests[-1].status is None
    assert api.get("/v1/recipients/").status_code == 200


def test_drop_after_acting(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(drop=True, path=SEND, after=True)

    with pytest.raises(requests.ConnectionError):
        api.post(SEND, json=MESSAGE)

    assert len(sandbox.emails) == 1
    assert api.post(SEND, json=MESSAGE).status_code == 200


def test_drop_on_a_kept_alive_connection(api: Api, sandbox: Sandbox) -> None:
    assert api.get("/v1/recipients/").status_code == 200
    sandbox.inject_fault(drop=True)

    with pytest.raises(requests.ConnectionError):
        api.get("/v1/recipients/")

    assert api.get("/v1/recipients/").status_code == 200


def test_latency(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(latency=0.3)

    started = time.monotonic()
    response = api.get("/v1/recipients/")
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed >= 0.3


def test_latency_with_a_status(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, latency=0.2, retry_after=1)

    started = time.monotonic()
    response = api.get("/v1/recipients/")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert elapsed >= 0.2


def test_latency_then_timeout_on_the_client(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(latency=0.4)

    with pytest.raises(requests.Timeout):
        api.get("/v1/recipients/", timeout=0.1)

    # Let the server finish the slow request, so it can't leak into the next test's state.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not any(r.status for r in sandbox.requests):
        time.sleep(0.05)
    time.sleep(0.05)


def test_count(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, count=2)

    statuses = [api.get("/v1/recipients/").status_code for _ in range(4)]

    assert statuses == [503, 503, 200, 200]


def test_default_count_is_one(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(502)

    statuses = [api.get("/v1/recipients/").status_code for _ in range(3)]

    assert statuses == [502, 200, 200]


def _pattern(api: Api, sandbox: Sandbox, seed: int) -> list[int]:
    sandbox.clear_faults()
    sandbox.inject_fault(503, rate=0.5, seed=seed)
    return [api.get("/v1/recipients/").status_code for _ in range(24)]


def test_seeded_rate_is_reproducible(api: Api, sandbox: Sandbox) -> None:
    first = _pattern(api, sandbox, seed=1234)
    second = _pattern(api, sandbox, seed=1234)
    other = _pattern(api, sandbox, seed=99)

    assert first == second
    assert set(first) == {200, 503}
    assert other != first


def test_rate_one_always_strikes(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, rate=1.0, seed=0)

    assert {api.get("/v1/recipients/").status_code for _ in range(3)} == {503}


def test_path_and_method_scope(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, path=SEND, method="POST", count=5)

    assert api.get("/v1/email/list/").status_code == 200
    assert api.post("/v1/recipients/", json={"email": "a@b.co"}).status_code == 201
    assert api.get("/v1/email/detail/", params={"email": "a@b.co"}).status_code == 404
    assert api.post(SEND, json=MESSAGE).status_code == 503


def test_path_is_a_prefix(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, path="/v1/email/", count=2)

    assert api.get("/v1/recipients/").status_code == 200
    assert api.get("/v1/email/list/").status_code == 503
    assert api.get("/v1/email/delivery/X/").status_code == 503
    assert api.get("/v1/email/list/").status_code == 200


def test_method_scope_alone(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, method="GET", count=1)

    assert api.post("/v1/recipients/", json={"email": "a@b.co"}).status_code == 201
    assert api.get("/v1/recipients/").status_code == 503


def test_faults_never_touch_the_control_surface(api: Api, control: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, count=1)

    assert control.get("/_sandbox/state/").status_code == 200
    assert api.get("/v1/recipients/").status_code == 503


def test_clear_faults(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, count=10)
    sandbox.clear_faults()

    assert api.get("/v1/recipients/").status_code == 200


def test_inject_returns_an_id(sandbox: Sandbox) -> None:
    first = sandbox.inject_fault(503)
    second = sandbox.inject_fault(503)

    assert first is not None
    assert first != second


def test_reset_clears_faults(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, count=10)
    sandbox.reset()

    assert api.get("/v1/recipients/").status_code == 200


def test_fault_responses_keep_the_connection_usable(api: Api, sandbox: Sandbox) -> None:
    sandbox.inject_fault(503, count=3)

    for _ in range(3):
        api.get("/v1/recipients/")
    api.get("/v1/recipients/")

    connection_ids = {r.connection_id for r in sandbox.requests}
    assert len(connection_ids) == 1
