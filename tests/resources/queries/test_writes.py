"""create, get_or_create, update_or_create and delete, as Django spells them, where the API
can do them, with the requests each makes; and a clear error, before any request, where it
can't."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from notifiedby import Email, NotifiedByClient, Recipient, Subscription
from notifiedby.exceptions import NotifiedByInvalidArgument
from notifiedby.sandbox import RecordedRequest, Sandbox
from tests.resources.queries._people import full_read, seed_subscriptions

Calls = Callable[[], list[RecordedRequest]]


def body(request: RecordedRequest) -> Any:
    assert request.body is not None
    return json.loads(request.body)


def test_update_or_create_is_one_upsert_reporting_created_from_its_status(
    sandbox: Sandbox, client: NotifiedByClient, people: list[Recipient], api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    ann, created = recipients.update_or_create(
        email="ANN@example.com", defaults={"first_name": "Annie", "flags": ["beta"]}
    )
    assert not created
    assert (ann.email, ann.first_name, ann.flags.all()) == (
        "ann@example.com",
        "Annie",
        ["vip", "beta"],
    )
    assert ann._client is client
    [call] = api_calls()  # one POST, answered 200 with the recipient: no GET after it
    assert (call.method, call.path, call.status) == ("POST", "/v1/recipients/", 200)
    assert body(call) == {"email": "ANN@example.com", "first_name": "Annie", "flags": ["beta"]}
    new, created = recipients.update_or_create(email="new@example.com", first_name="N")
    assert created
    assert new.sqid
    [call] = api_calls()
    assert call.status == 201
    assert sandbox.control.store.find_recipient("new@example.com") is not None


def test_update_or_create_with_create_defaults_reads_first(
    client: NotifiedByClient, people: list[Recipient], api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    bob, created = recipients.update_or_create(
        email="bob@example.com", defaults={"last_name": "B"}, create_defaults={"last_name": "C"}
    )
    assert (bob.last_name, created) == ("B", False)
    zed, created = recipients.update_or_create(
        email="zed@example.com", defaults={"last_name": "B"}, create_defaults={"last_name": "C"}
    )
    assert (zed.last_name, created) == ("C", True)
    assert [r.method for r in api_calls()] == ["GET", "POST", "GET", "POST"]


def test_get_or_create_reads_then_creates_if_missing(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    ann, created = recipients.get_or_create(email="ann@example.com", defaults={"last_name": "X"})
    assert (ann, created, ann.last_name) == (people[0], False, "Lee")  # defaults unused
    requests = api_calls()
    assert [r.method for r in requests] == ["GET"] * len(requests)
    # get() reads 21 at most: one page, or (when the server ignores the filter) every page.
    assert len(requests) == (1 if mode == "honouring" else 1 + full_read(mode))
    new, created = recipients.get_or_create(
        email="new@example.com", defaults={"first_name": lambda: "Called", "flags": ["x"]}
    )
    assert created
    assert (new.first_name, new.flags.all()) == ("Called", ["x"])
    assert api_calls()[-1].method == "POST"
    # Found by other fields; the email it would be created with comes from the defaults.
    ida = {"email": "ida@example.net"}
    lee, created = recipients.get_or_create(last_name="Lee", first_name="Ida", defaults=ida)
    assert (lee, created) == (people[10], False)
    with pytest.raises(Recipient.MultipleObjectsReturned):
        recipients.get_or_create(last_name="Lee", defaults=ida)
    by_lookup, created = recipients.get_or_create(
        first_name__iexact="ZED", defaults={"email": "zed@example.com", "first_name": "Zed"}
    )
    assert (by_lookup.first_name, created) == ("Zed", True)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.update_or_create(first_name="A"), r"update_or_create\(\) needs email"),
        (
            lambda r: r.update_or_create(defaults={"email": "a@example.com"}),
            r"needs email .*HINT: give it as a keyword argument\)",
        ),
        (
            lambda r: r.update_or_create(email__iexact="a@example.com"),
            r"by field names, not lookups: email__iexact",
        ),
        (
            lambda r: r.update_or_create(email="a@example.com", defaults={"nickname": "A"}),
            r"no field 'nickname' to set\. Choices are: email, first_name, flags, last_name\.",
        ),
        (lambda r: r.get_or_create(first_name="A"), r"or in defaults"),
        (lambda r: r.get_or_create(email="a@example.com", nick="A"), r"no field 'nick'"),
        (lambda r: r.get_or_create(email="nope"), r"'nope' is not a valid email address"),
        (lambda r: r.all().delete(), r"can't delete Recipient objects"),
    ],
)
def test_writes_without_what_they_need_fail_before_any_request(
    client: NotifiedByClient, api_calls: Calls, call: Callable[[Any], object], message: str
) -> None:
    api_calls()
    with pytest.raises(NotifiedByInvalidArgument, match=message):
        call(Recipient.objects.using(client))
    assert api_calls() == []


def test_what_the_api_cant_create_or_delete_says_so(
    client: NotifiedByClient, api_calls: Calls
) -> None:
    api_calls()
    with pytest.raises(NotifiedByInvalidArgument, match="can't create Subscription objects"):
        Subscription.objects.using(client).create(email="a@example.com", flow="WELCOME_SIGNUP")
    with pytest.raises(NotifiedByInvalidArgument, match="can't create Email objects"):
        Email.objects.using(client).get_or_create(recipient="a@example.com")
    with pytest.raises(NotifiedByInvalidArgument, match="can't create Subscription objects"):
        Subscription.objects.using(client).update_or_create(email="a@example.com")
    with pytest.raises(NotifiedByInvalidArgument, match="can't delete Email objects"):
        Email.objects.using(client).filter(recipient="a@example.com").delete()
    assert api_calls() == []
    # As in Django, a manager has no delete(): Model.objects.all().delete() says "all".
    assert not hasattr(Recipient.objects, "delete")
    assert not hasattr(Subscription.objects, "adelete")


def test_subscriptions_delete_with_any_lookup(
    sandbox: Sandbox, client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    subscriptions = seed_subscriptions(sandbox)
    premium = [s for s in subscriptions if s.flow_trigger == "PREMIUM_ONBOARDING"]
    api_calls()
    gone = (
        Subscription.objects.using(client)
        .filter(flow_name__icontains="premium")
        .exclude(recipient__in=[people[0], people[3]])
        .delete()
    )
    assert gone == len(premium) - 2
    requests = api_calls()
    deletes = [r for r in requests if r.method == "DELETE"]
    assert len(deletes) == gone
    assert len(requests) - len(deletes) == full_read(mode, len(subscriptions))
    left = Subscription.objects.using(client).filter(flow="PREMIUM_ONBOARDING")
    assert [s.recipient_email for s in left] == [people[0].email, people[3].email]
