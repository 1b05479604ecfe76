"""``refresh_from_db()`` with Django's arguments, beside ``refresh()``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from notifiedby import Email, Flow, NotifiedByClient, Recipient, Subscription
from notifiedby.exceptions import NotifiedByInvalidArgument
from notifiedby.sandbox import RecordedRequest, Sandbox
from tests.resources.conftest import pickled

Calls = Callable[[], list[RecordedRequest]]


@pytest.fixture
def alice(client: NotifiedByClient) -> Recipient:
    """Alice as read before someone else renamed her and flagged her ``premium``."""
    objects = Recipient.objects.using(client)
    alice = objects.create(email="alice@example.com", first_name="Alice", flags=["vip"])
    objects.create(email="alice@example.com", first_name="Alicia", flags=["premium"])
    return alice


def test_refresh_from_db_reloads_every_field_in_one_request(
    alice: Recipient, api_calls: Calls
) -> None:
    api_calls()

    alice.refresh_from_db()

    assert (alice.first_name, list(alice.flags)) == ("Alicia", ["vip", "premium"])
    assert [(r.method, r.path, r.query["email"]) for r in api_calls()] == [
        ("GET", "/v1/recipients/", ["alice@example.com"])
    ]


def test_fields_reloads_only_those(alice: Recipient, api_calls: Calls) -> None:
    alice.refresh_from_db(fields=["first_name"])
    assert (alice.first_name, list(alice.flags)) == ("Alicia", ["vip"])

    alice.refresh_from_db(fields="flags")  # one name, as a string
    assert list(alice.flags) == ["vip", "premium"]

    api_calls()
    alice.refresh_from_db(fields=[])
    assert api_calls() == []


def test_an_unknown_field_is_refused_before_any_request(alice: Recipient, api_calls: Calls) -> None:
    api_calls()

    with pytest.raises(
        NotifiedByInvalidArgument, match=r"no field 'name'\. Choices are: created_at"
    ):
        alice.refresh_from_db(fields=["first_name", "name"])

    assert api_calls() == []
    assert alice.first_name == "Alice"


def test_using_reads_through_that_client_and_keeps_it(
    alice: Recipient, client: NotifiedByClient
) -> None:
    loaded = pickled(alice)  # without its client, and none by default

    loaded.refresh_from_db(using=client)

    assert loaded.first_name == "Alicia"
    assert loaded._client is client
    loaded.refresh_from_db()  # through the client it keeps


def test_from_queryset_reads_through_it(alice: Recipient, client: NotifiedByClient) -> None:
    alice.refresh_from_db(from_queryset=Recipient.objects.using(client).all())
    assert alice.first_name == "Alicia"

    others = Recipient.objects.using(client).filter(email="bob@example.com")
    with pytest.raises(Recipient.DoesNotExist):
        alice.refresh_from_db(from_queryset=others)


def test_a_subscription_reloads_or_is_not_in_the_queryset(
    alice: Recipient, client: NotifiedByClient, sandbox: Sandbox
) -> None:
    sub = alice.subscribe("WELCOME_SIGNUP")
    Flow.objects.using(client).get(trigger="WELCOME_SIGNUP").unsubscribe(alice)

    sub.refresh_from_db(fields=["status"])

    assert sub.status == "cancelled"
    active = Subscription.objects.using(client).filter(status="active")
    with pytest.raises(Subscription.DoesNotExist):
        sub.refresh_from_db(from_queryset=active)
    sub.delete()
    with pytest.raises(Subscription.DoesNotExist, match=r"Subscription \d+ is not listed"):
        sub.refresh()


def test_an_email_reloads_its_detail(client: NotifiedByClient) -> None:
    sent = Email.objects.using(client).send(
        recipient="alice@example.com", subject="Hi", body="<p>Hi</p>"
    )
    stale = Email(id=sent.id, subject="changed", client=client)  # no body, no recipient

    stale.refresh_from_db(fields=["body"])

    assert (stale.subject, stale.recipient, stale.body) == ("changed", "", "<p>Hi</p>")
    listed = Email.objects.using(client).get()
    with pytest.raises(NotifiedByInvalidArgument, match="has no id"):
        listed.refresh_from_db()


def test_arefresh_from_db(alice: Recipient, client: NotifiedByClient) -> None:
    loaded = pickled(alice)

    asyncio.run(loaded.arefresh_from_db(using=client, fields=["first_name"]))

    assert loaded.first_name == "Alicia"


def test_a_flow_handle_has_nothing_to_reload() -> None:
    assert not hasattr(Flow(trigger="WELCOME_SIGNUP"), "refresh_from_db")
