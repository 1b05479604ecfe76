"""Recipient: upsert, lookup, save, the flags manager and the related querysets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from notifiedby import Email, Flow, NotifiedByClient, Recipient, Subscription
from notifiedby.exceptions import NotifiedByNotFoundError, NotifiedByValidationError
from notifiedby.sandbox import RecordedRequest, Sandbox

Calls = Callable[[], list[RecordedRequest]]


def stored(sandbox: Sandbox, email: str) -> dict[str, Any]:
    (found,) = [r for r in sandbox.recipients if r["email"] == email]
    return found


def test_create_get_and_equality(sandbox: Sandbox, client: NotifiedByClient) -> None:
    alice = Recipient.objects.using(client).create(
        email="alice@example.com", first_name="Alice", flags=["free_plan"]
    )
    assert alice.sqid == stored(sandbox, "alice@example.com")["sqid"]
    assert alice.flags == ["free_plan"]
    assert alice.created_at is not None
    assert alice.created_at.tzinfo is not None
    again = Recipient.objects.using(client).get(email="ALICE@example.com")
    assert again == alice
    assert hash(again) == hash(alice)
    assert repr(again) == "<Recipient: alice@example.com>"
    assert again.to_dict() == stored(sandbox, "alice@example.com")
    with pytest.raises(Recipient.DoesNotExist):
        Recipient.objects.using(client).get(email="bob@example.com")


def test_create_updates_and_adds_flags(sandbox: Sandbox, client: NotifiedByClient) -> None:
    objects = Recipient.objects.using(client)
    objects.create(email="a@example.com", first_name="A", last_name="B", flags="one")
    updated = objects.create(email="a@example.com", last_name="", flags=["two"])
    assert (updated.first_name, updated.last_name) == ("A", "")
    assert updated.flags == ["one", "two"]
    assert len(sandbox.recipients) == 1


def test_flags_manager_keeps_local_list_in_step(
    sandbox: Sandbox, client: NotifiedByClient, api_calls: Calls
) -> None:
    alice = Recipient.objects.using(client).create(email="alice@example.com", flags=["free_plan"])
    api_calls()
    alice.flags.add("premium", "onboarded")
    alice.flags.remove("free_plan")
    assert [r.path for r in api_calls()] == [
        "/v1/recipients/flags/set/",
        "/v1/recipients/flags/clear/",
    ]
    assert alice.flags == ["premium", "onboarded"]
    assert "premium" in alice.flags
    assert "free_plan" not in alice.flags
    assert len(alice.flags) == 2
    assert stored(sandbox, "alice@example.com")["flags"] == ["premium", "onboarded"]
    alice.flags.set(["onboarded", "vip"])
    assert set(alice.flags) == {"onboarded", "vip"}
    assert set(stored(sandbox, "alice@example.com")["flags"]) == {"onboarded", "vip"}
    assert len(api_calls()) == 2
    alice.flags.set({"onboarded", "vip"})
    alice.flags.add()
    assert api_calls() == []  # nothing to change, nothing sent
    alice.flags.clear()
    assert stored(sandbox, "alice@example.com")["flags"] == []
    with pytest.raises(TypeError, match=r"flags\.set"):
        alice.flags = ["x"]


def test_flags_input_is_checked_before_sending(client: NotifiedByClient, api_calls: Calls) -> None:
    alice = Recipient(email="alice@example.com", client=client)
    api_calls()
    for bad in ([1], b"premium", {"a": 1}, ["a,b"], [""], 7):
        with pytest.raises(NotifiedByValidationError, match="flags"):
            alice.flags.add(bad)  # type: ignore[arg-type]
    assert api_calls() == []


def test_flags_on_an_unknown_recipient(client: NotifiedByClient) -> None:
    with pytest.raises(NotifiedByNotFoundError):
        Recipient(email="ghost@example.com", client=client).flags.add("x")


def test_save_and_refresh(sandbox: Sandbox, client: NotifiedByClient) -> None:
    alice = Recipient(email="alice@example.com", first_name="Alice", client=client)
    alice.save()
    assert alice.sqid == stored(sandbox, "alice@example.com")["sqid"]
    alice.last_name = "Liddell"
    alice.save()
    assert stored(sandbox, "alice@example.com")["last_name"] == "Liddell"
    other = Recipient.objects.using(client).get(email="alice@example.com")
    other.flags.add("x")
    alice.refresh()
    assert alice.flags == ["x"]


def test_related_querysets_and_subscribe(sandbox: Sandbox, client: NotifiedByClient) -> None:
    alice = Recipient.objects.using(client).create(email="alice@example.com", first_name="Alice")
    sub = alice.subscribe("WELCOME_SIGNUP", flags="new_user")
    assert isinstance(sub, Subscription)
    assert sub.status == "active"
    alice.subscribe(Flow.objects.get(trigger="PREMIUM_ONBOARDING"))
    assert {s.flow_trigger for s in alice.subscriptions} == {"WELCOME_SIGNUP", "PREMIUM_ONBOARDING"}
    alice.unsubscribe("PREMIUM_ONBOARDING")
    assert alice.subscriptions.filter(status="active").get().flow_trigger == "WELCOME_SIGNUP"
    Email.objects.using(client).send(recipient=alice, subject="Hi", body="<p>Hi</p>")
    assert [e.subject for e in alice.emails] == ["Hi"]
    assert "new_user" in stored(sandbox, "alice@example.com")["flags"]


def test_bad_email_is_refused_before_any_request(
    client: NotifiedByClient, api_calls: Calls
) -> None:
    api_calls()
    for bad in ("", "alice", "alice@", "a b@example.com", None, 3):
        with pytest.raises(NotifiedByValidationError, match="email"):
            Recipient.objects.using(client).create(email=bad)  # type: ignore[arg-type]
    with pytest.raises(NotifiedByValidationError, match="email"):
        Recipient.objects.using(client).get(email="nope")
    assert api_calls() == []


def test_manager_is_not_reachable_from_instances() -> None:
    with pytest.raises(AttributeError, match="Manager isn't accessible via Recipient instances"):
        Recipient(email="a@example.com").objects  # noqa: B018
