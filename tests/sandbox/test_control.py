"""The /_sandbox/ control surface over HTTP, the behaviour options, and the state views."""

from __future__ import annotations

from typing import Any

import pytest

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

MESSAGE = {"recipient": "ann@example.com", "subject": "s", "body": "<p>b</p>"}


def _ok(response: Any) -> Any:
    assert 200 <= response.status_code < 300, (response.status_code, response.text)
    if response.content:
        assert response.headers["Content-Type"].startswith("application/json")
        return response.json()
    return None


def _state(control: Api) -> dict[str, Any]:
    state: dict[str, Any] = _ok(control.get("/_sandbox/state/"))
    return state


def test_state_lists_everything(api: Api, control: Api) -> None:
    api.send()
    api.subscribe("bob@example.com")

    state = _state(control)

    for key in ("recipients", "subscriptions", "emails", "flows", "faults", "options"):
        assert key in state, key
    assert {r["email"] for r in state["recipients"]} == {"ann@example.com", "bob@example.com"}
    assert len(state["subscriptions"]) == 1
    assert len(state["emails"]) == 1
    assert "body" not in state["emails"][0]
    assert "<p>Hi</p>" not in str(state)


def test_state_shows_the_example_flows(control: Api) -> None:
    assert {"WELCOME_SIGNUP", "PREMIUM_ONBOARDING", "REENGAGE_INACTIVE"} <= {
        flow["trigger"] for flow in _state(control)["flows"]
    }


def test_define_flow_over_http(api: Api, control: Api) -> None:
    _ok(
        control.post(
            "/_sandbox/flows/",
            json={
                "trigger": "HTTP_FLOW",
                "name": "Flow From HTTP",
                "steps": [
                    {"type": "email", "subject": "Hi", "body": "<p>Hi</p>"},
                    {"type": "wait", "days": 2},
                ],
            },
        )
    )

    response = api.post(
        "/v1/flows/subscribe/", json={"flow_trigger": "HTTP_FLOW", "email": "a@b.co"}
    )

    assert response.status_code == 201
    assert "'Flow From HTTP'" in response.json()["detail"]
    assert "HTTP_FLOW" in {flow["trigger"] for flow in _state(control)["flows"]}


def test_define_an_empty_flow_over_http(api: Api, control: Api) -> None:
    _ok(control.post("/_sandbox/flows/", json={"trigger": "EMPTY", "name": "Empty", "steps": []}))

    response = api.post("/v1/flows/subscribe/", json={"flow_trigger": "EMPTY", "email": "a@b.co"})

    assert response.status_code == 400


def test_redefine_a_flow_replaces_it(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("WELCOME_SIGNUP", name="Renamed", steps=[{"type": "wait", "days": 1}])

    response = api.post(
        "/v1/flows/subscribe/", json={"flow_trigger": "WELCOME_SIGNUP", "email": "a@b.co"}
    )

    assert "'Renamed'" in response.json()["detail"]


def test_block_and_unblock_over_http(api: Api, control: Api) -> None:
    _ok(control.post("/_sandbox/blocked/", json={"email": "ann@example.com"}))
    blocked = api.post("/v1/email/send/", json=MESSAGE).json()
    _ok(control.delete("/_sandbox/blocked/", params={"email": "ann@example.com"}))
    unblocked = api.post("/v1/email/send/", json=MESSAGE).json()

    assert blocked["error"] == "Recipient is blocked"
    assert "error" not in unblocked


def test_limit_over_http(api: Api, control: Api) -> None:
    _ok(control.post("/_sandbox/limit/", json={"daily_limit": 1}))
    api.send()

    response = api.post("/v1/email/send/", json=MESSAGE)
    _ok(control.post("/_sandbox/limit/", json={"daily_limit": None}))
    lifted = api.post("/v1/email/send/", json=MESSAGE)

    assert response.status_code == 429
    assert response.json() == {"error": "Daily limit of 1 emails has been reached"}
    assert lifted.status_code == 200


def test_faults_over_http(api: Api, control: Api) -> None:
    created = _ok(
        control.post(
            "/_sandbox/faults/",
            json={"status": 503, "retry_after": 2, "count": 2, "path": "/v1/recipients/"},
        )
    )
    assert created is not None

    assert api.get("/v1/email/list/").status_code == 200
    first = api.get("/v1/recipients/")
    assert len(_state(control)["faults"]) >= 1
    _ok(control.delete("/_sandbox/faults/"))
    after_clear = api.get("/v1/recipients/")

    assert first.status_code == 503
    assert first.headers["Retry-After"] == "2"
    assert after_clear.status_code == 200
    assert _state(control)["faults"] == []


@pytest.mark.parametrize(
    "fields",
    [
        {"drop": True},
        {"latency": 0.05},
        {"status": 503, "rate": 1.0, "seed": 3, "method": "GET"},
        {"status": 500, "after": True, "path": "/v1/recipients/"},
    ],
)
def test_each_fault_field_over_http(control: Api, fields: dict[str, Any]) -> None:
    _ok(control.post("/_sandbox/faults/", json=fields))

    assert len(_state(control)["faults"]) == 1


def test_reset_over_http(api: Api, control: Api, sandbox: Sandbox) -> None:
    api.send()
    api.subscribe("bob@example.com")
    sandbox.define_flow("EXTRA", name="Extra", steps=[{"type": "wait", "days": 1}])
    sandbox.block("ann@example.com")
    sandbox.set_daily_limit(1)
    sandbox.inject_fault(503, count=5, path="/v1/email/")
    sandbox.configure(bare_subscription_list=True)

    _ok(control.post("/_sandbox/reset/"))

    state = _state(control)
    assert state["recipients"] == state["subscriptions"] == state["emails"] == []
    assert state["faults"] == []
    triggers = {flow["trigger"] for flow in state["flows"]}
    assert triggers == {"WELCOME_SIGNUP", "PREMIUM_ONBOARDING", "REENGAGE_INACTIVE"}
    assert sandbox.requests == []
    assert "error" not in api.post("/v1/email/send/", json=MESSAGE).json()
    assert api.post("/v1/email/send/", json=MESSAGE).status_code == 200
    assert isinstance(api.get("/v1/flows/subscriptions/").json(), dict)


def test_options_over_http(api: Api, control: Api) -> None:
    for i in range(4):
        api.upsert(f"r{i}@example.com")

    _ok(control.post("/_sandbox/options/", json={"ignore_page_size": True, "page_size": 3}))
    page = api.get("/v1/recipients/", params={"page_size": 1}).json()

    assert len(page["results"]) == 3
    assert page["next"] is not None


def test_ignore_filters_option(api: Api, sandbox: Sandbox) -> None:
    api.upsert("ann@example.com")
    api.upsert("bob@example.com")
    api.send("ann@example.com")
    api.send("bob@example.com")
    sandbox.configure(ignore_filters=True)

    recipients = api.get("/v1/recipients/", params={"email": "ann@example.com"}).json()
    emails = api.get("/v1/email/list/", params={"recipient": "ann@example.com"}).json()

    assert recipients["count"] == 2
    assert emails["count"] == 2


def test_bare_subscription_list_option(api: Api, sandbox: Sandbox) -> None:
    api.subscribe("a@b.co")
    api.subscribe("c@d.co")
    sandbox.configure(bare_subscription_list=True)

    body = api.get("/v1/flows/subscriptions/").json()

    assert isinstance(body, list)
    assert {s["recipient_email"] for s in body} == {"a@b.co", "c@d.co"}


def test_control_calls_are_not_recorded(control: Api, sandbox: Sandbox) -> None:
    control.get("/_sandbox/state/")
    control.post("/_sandbox/limit/", json={"daily_limit": 5})

    assert sandbox.requests == []


def test_requests_are_recorded(api: Api, sandbox: Sandbox) -> None:
    api.post("/v1/recipients/", json={"email": "a@b.co"}, headers={"Idempotency-Key": "r-1"})
    api.get("/v1/recipients/", params={"email": "a@b.co"})

    first, second = sandbox.requests
    assert (first.method, first.path, first.status) == ("POST", "/v1/recipients/", 201)
    assert first.json == {"email": "a@b.co"}
    assert first.body is not None
    assert first.fault is None
    assert (second.method, second.path, second.status) == ("GET", "/v1/recipients/", 200)
    assert second.query == {"email": ["a@b.co"]}
    assert sandbox.api_key not in repr(sandbox.requests)


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("POST", "/_sandbox/flows/", {"name": "no trigger"}),
        ("POST", "/_sandbox/flows/", {"trigger": "X", "steps": "not a list"}),
        ("POST", "/_sandbox/blocked/", {}),
        ("POST", "/_sandbox/limit/", {"daily_limit": "many"}),
        ("POST", "/_sandbox/faults/", {"status": "bad"}),
        ("POST", "/_sandbox/faults/", {"rate": 2}),
        ("POST", "/_sandbox/options/", {"no_such_option": True}),
        ("GET", "/_sandbox/nothing-here/", None),
        ("PUT", "/_sandbox/state/", None),
    ],
)
def test_control_surface_bad_input_is_4xx_json(
    api: Api, control: Api, method: str, path: str, payload: Any
) -> None:
    response = control.request(method, path, json=payload)

    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json")
    assert "Traceback" not in response.text
    assert api.get("/v1/recipients/").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_page_on_another_site_cannot_drive_the_controls(
    control: Api, sandbox: Sandbox, headers: dict[str, str]
) -> None:
    sandbox.block("ann@example.com")

    response = control.post("/_sandbox/reset/", headers=headers)

    assert response.status_code == 403
    assert sandbox.control.store.blocked() == ["ann@example.com"]


def test_the_inbox_page_may_drive_the_controls(control: Api, sandbox: Sandbox) -> None:
    host = sandbox.url.removeprefix("http://")
    headers = {"Origin": sandbox.url, "Host": host, "Sec-Fetch-Site": "same-origin"}

    response = control.post("/_sandbox/clock/", json={"seconds": 60}, headers=headers)

    assert response.status_code == 200
