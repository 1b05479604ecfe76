"""Flow subscriptions: subscribe, unsubscribe, list, delete."""

from __future__ import annotations

from typing import Any

import pytest

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

SUBSCRIBE = "/v1/flows/subscribe/"
UNSUBSCRIBE = "/v1/flows/unsubscribe/"
SUBSCRIPTIONS = "/v1/flows/subscriptions/"


def _subscriptions(api: Api, **params: str) -> list[dict[str, Any]]:
    response = api.get(SUBSCRIPTIONS, params=params)
    assert response.status_code == 200
    results: list[dict[str, Any]] = response.json()["results"]
    return results


@pytest.mark.parametrize(
    ("trigger", "name"),
    [
        ("WELCOME_SIGNUP", "Welcome Signup Flow"),
        ("PREMIUM_ONBOARDING", "Premium Onboarding Flow"),
        ("REENGAGE_INACTIVE", "Re-engage Inactive Flow"),
    ],
)
def test_subscribe_to_each_example_flow(api: Api, trigger: str, name: str) -> None:
    response = api.post(SUBSCRIBE, json={"flow_trigger": trigger, "email": "a@b.co"})

    assert response.status_code == 201
    body = response.json()
    assert body["detail"] == f"Recipient 'a@b.co' successfully subscribed to flow '{name}'."
    [subscription] = _subscriptions(api)
    assert subscription["id"] == body["subscription_id"]
    assert subscription["flow_name"] == name
    assert subscription["flow_trigger"] == trigger
    assert subscription["recipient_email"] == "a@b.co"
    assert subscription["status"] == "active"


def test_subscribe_creates_the_recipient(api: Api) -> None:
    api.post(
        SUBSCRIBE,
        json={
            "flow_trigger": "WELCOME_SIGNUP",
            "email": "new@example.com",
            "first_name": "New",
            "last_name": "Person",
            "flags": ["trial"],
        },
    )

    [recipient] = api.get("/v1/recipients/", params={"email": "new@example.com"}).json()["results"]
    assert (recipient["first_name"], recipient["last_name"]) == ("New", "Person")
    assert recipient["flags"] == ["trial"]


def test_subscribe_missing_fields(api: Api, sandbox: Sandbox) -> None:
    response = api.post(SUBSCRIBE, json={})

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"flow_trigger", "email"}
    assert all(isinstance(v, list) and v for v in errors.values())
    assert sandbox.subscriptions == []


def test_subscribe_bad_email(api: Api) -> None:
    response = api.post(SUBSCRIBE, json={"flow_trigger": "WELCOME_SIGNUP", "email": "nope"})

    assert response.status_code == 400
    assert "email" in response.json()


def test_subscribe_unknown_flow(api: Api, sandbox: Sandbox) -> None:
    response = api.post(SUBSCRIBE, json={"flow_trigger": "NO_SUCH_FLOW", "email": "a@b.co"})

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert sandbox.subscriptions == []


def test_subscribe_twice_while_active(api: Api, sandbox: Sandbox) -> None:
    api.subscribe("a@b.co")

    response = api.post(SUBSCRIBE, json={"flow_trigger": "WELCOME_SIGNUP", "email": "A@B.co"})

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert len(sandbox.subscriptions) == 1


def test_subscribe_to_a_flow_without_steps(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("EMPTY", name="Empty", steps=[])

    response = api.post(SUBSCRIBE, json={"flow_trigger": "EMPTY", "email": "a@b.co"})

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert sandbox.subscriptions == []


def test_subscribe_to_a_defined_flow(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow(
        "CUSTOM", name="Custom Flow", steps=[{"type": "email", "subject": "s", "body": "b"}]
    )

    response = api.post(SUBSCRIBE, json={"flow_trigger": "CUSTOM", "email": "a@b.co"})

    assert response.status_code == 201
    assert "'Custom Flow'" in response.json()["detail"]


def test_renewal_after_cancel_is_a_new_subscription(api: Api) -> None:
    first_id = api.subscribe("a@b.co")
    api.post(UNSUBSCRIBE, json={"flow_trigger": "WELCOME_SIGNUP", "email": "a@b.co"})

    second_id = api.subscribe("a@b.co")

    assert second_id != first_id
    statuses = {s["id"]: s["status"] for s in _subscriptions(api)}
    assert statuses == {first_id: "cancelled", second_id: "active"}


def test_unsubscribe_cancels_and_keeps_it_listed(api: Api) -> None:
    subscription_id = api.subscribe("a@b.co")

    response = api.post(UNSUBSCRIBE, json={"flow_trigger": "WELCOME_SIGNUP", "email": "A@b.co"})

    assert response.status_code == 200
    assert set(response.json()) == {"detail"}
    [subscription] = _subscriptions(api)
    assert subscription["id"] == subscription_id
    assert subscription["status"] == "cancelled"


@pytest.mark.parametrize(
    "payload",
    [
        {"flow_trigger": "WELCOME_SIGNUP", "email": "never@b.co"},
        {"flow_trigger": "NO_SUCH_FLOW", "email": "a@b.co"},
        {"flow_trigger": "PREMIUM_ONBOARDING", "email": "a@b.co"},
    ],
    ids=["unknown-recipient", "unknown-flow", "not-subscribed"],
)
def test_unsubscribe_without_an_active_subscription(api: Api, payload: dict[str, str]) -> None:
    api.subscribe("a@b.co")

    response = api.post(UNSUBSCRIBE, json=payload)

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


def test_unsubscribe_twice(api: Api) -> None:
    api.subscribe("a@b.co")
    payload = {"flow_trigger": "WELCOME_SIGNUP", "email": "a@b.co"}
    api.post(UNSUBSCRIBE, json=payload)

    response = api.post(UNSUBSCRIBE, json=payload)

    assert response.status_code == 400
    assert set(response.json()) == {"detail"}


def test_unsubscribe_missing_fields(api: Api) -> None:
    response = api.post(UNSUBSCRIBE, json={"email": "a@b.co"})

    assert response.status_code == 400
    assert isinstance(response.json()["flow_trigger"], list)


def test_list_filters(api: Api) -> None:
    api.subscribe("a@b.co", "WELCOME_SIGNUP")
    api.subscribe("a@b.co", "PREMIUM_ONBOARDING")
    api.subscribe("c@d.co", "WELCOME_SIGNUP")

    by_email = _subscriptions(api, email="A@B.CO")
    by_flow = _subscriptions(api, flow_trigger="WELCOME_SIGNUP")
    by_both = _subscriptions(api, email="a@b.co", flow_trigger="WELCOME_SIGNUP")

    assert {s["flow_trigger"] for s in by_email} == {"WELCOME_SIGNUP", "PREMIUM_ONBOARDING"}
    assert {s["recipient_email"] for s in by_flow} == {"a@b.co", "c@d.co"}
    assert [(s["recipient_email"], s["flow_trigger"]) for s in by_both] == [
        ("a@b.co", "WELCOME_SIGNUP")
    ]
    assert api.get(SUBSCRIPTIONS).json()["count"] == 3


def test_list_empty(api: Api) -> None:
    assert api.get(SUBSCRIPTIONS).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_delete_removes_the_record(api: Api, sandbox: Sandbox) -> None:
    api.subscribe("a@b.co")
    api.subscribe("c@d.co")

    response = api.delete(
        SUBSCRIPTIONS, params={"email": "a@b.co", "flow_trigger": "WELCOME_SIGNUP"}
    )

    assert response.status_code == 204
    assert response.content == b""
    assert [s["recipient_email"] for s in _subscriptions(api)] == ["c@d.co"]
    assert len(sandbox.subscriptions) == 1


@pytest.mark.parametrize(
    "params",
    [{"email": "a@b.co"}, {"flow_trigger": "WELCOME_SIGNUP"}, {}],
    ids=["no-flow", "no-email", "nothing"],
)
def test_delete_missing_parameter(api: Api, sandbox: Sandbox, params: dict[str, str]) -> None:
    api.subscribe("a@b.co")

    response = api.delete(SUBSCRIPTIONS, params=params)

    assert response.status_code == 400
    assert len(sandbox.subscriptions) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"email": "nobody@b.co", "flow_trigger": "WELCOME_SIGNUP"},
        {"email": "a@b.co", "flow_trigger": "PREMIUM_ONBOARDING"},
        {"email": "a@b.co", "flow_trigger": "NO_SUCH_FLOW"},
    ],
)
def test_delete_unknown_subscription(api: Api, sandbox: Sandbox, params: dict[str, str]) -> None:
    api.subscribe("a@b.co")

    response = api.delete(SUBSCRIPTIONS, params=params)

    assert response.status_code == 404
    assert len(sandbox.subscriptions) == 1


def test_delete_then_subscribe_again(api: Api) -> None:
    api.subscribe("a@b.co")
    api.delete(SUBSCRIPTIONS, params={"email": "a@b.co", "flow_trigger": "WELCOME_SIGNUP"})

    api.subscribe("a@b.co")

    assert [s["status"] for s in _subscriptions(api)] == ["active"]
