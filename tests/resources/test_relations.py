"""Relations as Django users write them: ``recipient.subscriptions``, ``flow.subscriptions``,
``recipient.emails``: lazy querysets through the resource's own client."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from notifiedby import Email, Flow, NotifiedByClient, Recipient
from notifiedby.exceptions import NotifiedByConfigError
from notifiedby.sandbox import RecordedRequest, Sandbox

Calls = Callable[[], list[RecordedRequest]]


@pytest.fixture(params=["honours filters", "ignores filters"])
def server_mode(request: pytest.FixtureRequest, sandbox: Sandbox) -> bool:
    """Run the test against a server that honours filters and page sizes, then one that
    ignores both (the SDK checks every object itself); return True for the first."""
    honours = bool(request.param == "honours filters")
    if not honours:
        sandbox.configure(ignore_filters=True, ignore_page_size=True, page_size=2)
    return honours


@pytest.fixture
def alice(client: NotifiedByClient) -> Recipient:
    """Alice in WELCOME_SIGNUP (active) and PREMIUM_ONBOARDING (cancelled); Bob in
    WELCOME_SIGNUP; two emails to Alice and one to Bob."""
    objects = Recipient.objects.using(client)
    alice = objects.create(email="alice@example.com")
    bob = objects.create(email="bob@example.com")
    alice.subscribe("WELCOME_SIGNUP")
    alice.subscribe("PREMIUM_ONBOARDING")
    alice.unsubscribe("PREMIUM_ONBOARDING")
    bob.subscribe("WELCOME_SIGNUP")
    for recipient, subject in ((alice, "First"), (bob, "For Bob"), (alice, "Second")):
        Email.objects.using(client).send(recipient=recipient, subject=subject, body="<p>x</p>")
    return alice


def test_building_related_queries_makes_no_request(
    alice: Recipient, client: NotifiedByClient, api_calls: Calls
) -> None:
    api_calls()

    alice.subscriptions.filter(status="active").all()
    alice.emails.all()
    Flow.objects.using(client).get(trigger="WELCOME_SIGNUP").subscriptions.all()

    assert api_calls() == []


def test_recipient_subscriptions_filter_and_all(
    alice: Recipient, server_mode: bool, api_calls: Calls
) -> None:
    api_calls()

    assert {s.flow_trigger for s in alice.subscriptions.all()} == {
        "WELCOME_SIGNUP",
        "PREMIUM_ONBOARDING",
    }
    (active,) = alice.subscriptions.filter(status="active")
    assert (active.flow_trigger, active.recipient_email) == ("WELCOME_SIGNUP", "alice@example.com")
    assert alice.subscriptions.filter(status="cancelled").get().flow_trigger == (
        "PREMIUM_ONBOARDING"
    )

    calls = api_calls()
    assert all(call.path == "/v1/flows/subscriptions/" for call in calls)
    assert all(call.query["email"] == ["alice@example.com"] for call in calls)
    if server_mode:  # one request each: the server filtered, and its count is right
        assert len(calls) == 3


def test_flow_subscriptions_are_the_subscriptions_to_its_trigger(
    alice: Recipient, client: NotifiedByClient, server_mode: bool, api_calls: Calls
) -> None:
    welcome = Flow.objects.using(client).get(trigger="WELCOME_SIGNUP")
    api_calls()

    assert sorted(s.recipient_email for s in welcome.subscriptions.all()) == [
        "alice@example.com",
        "bob@example.com",
    ]
    assert welcome.subscriptions.filter(email="bob@example.com").count() == 1
    assert welcome.subscriptions.filter(status="cancelled").exists() is False

    calls = api_calls()
    assert all(call.query["flow_trigger"] == ["WELCOME_SIGNUP"] for call in calls)
    if server_mode:
        assert len(calls) == 3


def test_recipient_emails_newest_first(
    alice: Recipient, server_mode: bool, api_calls: Calls
) -> None:
    api_calls()

    assert [e.subject for e in alice.emails.all()] == ["Second", "First"]
    latest = alice.emails.latest()
    assert (latest.subject, latest.body) == ("Second", "<p>x</p>")

    calls = api_calls()
    assert {call.path for call in calls} == {"/v1/email/list/", "/v1/email/detail/"}
    if server_mode:
        assert len(calls) == 2


def test_count_through_a_relation(alice: Recipient, api_calls: Calls) -> None:
    # Against a server that honours filters: how count() copes with one that ignores them
    # is the queryset tests' business.
    api_calls()

    assert alice.subscriptions.count() == 2
    assert alice.subscriptions.filter(status="active").count() == 1
    assert alice.emails.count() == 2

    assert len(api_calls()) == 3


def test_related_queries_use_the_resources_client(
    alice: Recipient, sandbox: Sandbox, no_default_client: None
) -> None:
    # No default client can be built here, so a count that works went through alice's.
    assert alice.subscriptions.count() == 2
    assert alice.emails.count() == 2
    with pytest.raises(NotifiedByConfigError):
        Recipient(email=alice.email).subscriptions.count()


def test_without_a_client_the_default_one_is_looked_up_when_the_query_runs(
    alice: Recipient, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, no_default_client: None
) -> None:
    detached = Recipient(email="alice@example.com")
    subscriptions = detached.subscriptions.filter(status="active")  # no settings needed yet
    welcome = Flow(trigger="WELCOME_SIGNUP").subscriptions

    monkeypatch.setenv("NOTIFIEDBY_API_KEY", sandbox.api_key)
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", sandbox.url)

    assert [s.flow_trigger for s in subscriptions] == ["WELCOME_SIGNUP"]
    assert welcome.count() == 2


@pytest.fixture
def no_default_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure no API key is configured anywhere, so the default client can't be built."""
    from django.conf import settings

    monkeypatch.delenv("NOTIFIEDBY_API_KEY", raising=False)
    if settings.configured:
        monkeypatch.setattr(settings, "NOTIFIEDBY_API_KEY", None, raising=False)
