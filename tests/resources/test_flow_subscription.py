"""Flow handles, subscribing, and subscriptions: listing, deleting, refreshing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from notifiedby import Flow, NotifiedByClient, Recipient, Subscription
from notifiedby.exceptions import NotifiedByValidationError
from notifiedby.sandbox import RecordedRequest, Sandbox

Calls = Callable[[], list[RecordedRequest]]


def test_flow_get_is_a_handle_without_request(client: NotifiedByClient, api_calls: Calls) -> None:
    api_calls()
    welcome = Flow.objects.using(client).get(trigger="WELCOME_SIGNUP")
    assert welcome == Flow.objects.get(trigger="WELCOME_SIGNUP")
    assert repr(welcome) == "<Flow: WELCOME_SIGNUP>"
    unknown = Flow.objects.using(client).get(trigger="NO_SUCH_FLOW")
    assert api_calls() == []
    with pytest.raises(NotifiedByValidationError, match="trigger"):
        Flow.objects.get(trigger="")
    with pytest.raises(NotifiedByValidationError, match="does not exist"):
        unknown.subscribe("a@example.com")


def test_subscribe_returns_the_subscription_in_two_requests(
    sandbox: Sandbox, client: NotifiedByClient, api_calls: Calls
) -> None:
    welcome = Flow.objects.using(client).get(trigger="WELCOME_SIGNUP")
    api_calls()
    sub = welcome.subscribe("bob@example.com", first_name="Bob", flags=["new_user"])
    assert [(r.method, r.path) for r in api_calls()] == [
        ("POST", "/v1/flows/subscribe/"),
        ("GET", "/v1/flows/subscriptions/"),
    ]
    (record,) = sandbox.subscriptions
    assert sub.to_dict() == record
    assert sub.flow_name == welcome.name == "Welcome Signup Flow"
    assert sub.flow == welcome
    with pytest.raises(NotifiedByValidationError, match="already subscribed"):
        welcome.subscribe("bob@example.com")
    welcome.unsubscribe("bob@example.com")
    sub.refresh()
    assert sub.status == "cancelled"
    again = welcome.subscribe(Recipient(email="bob@example.com"))  # a renewal is a new one
    assert again.id != sub.id
    assert again.status == "active"


def test_subscribe_against_a_bare_subscription_list(
    sandbox: Sandbox, client: NotifiedByClient
) -> None:
    sandbox.configure(bare_subscription_list=True)
    sub = Flow.objects.using(client).get(trigger="WELCOME_SIGNUP").subscribe("c@example.com")
    assert sub.id == sandbox.subscriptions[0]["id"]
    assert Subscription.objects.using(client).count() == 1


def subscribe_many(client: NotifiedByClient) -> None:
    for i in range(6):
        Flow.objects.using(client).get(trigger="WELCOME_SIGNUP").subscribe(f"u{i}@example.com")
    premium = Flow.objects.using(client).get(trigger="PREMIUM_ONBOARDING")
    for i in range(3):
        premium.subscribe(f"u{i}@example.com")
    premium.unsubscribe("u0@example.com")


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"ignore_filters": True},
        {"bare_subscription_list": True},
        {"ignore_page_size": True, "page_size": 2},
    ],
)
def test_filters_including_the_local_status_filter(
    sandbox: Sandbox, client: NotifiedByClient, options: dict[str, object]
) -> None:
    subscribe_many(client)
    sandbox.configure(**options)
    subs = Subscription.objects.using(client)
    assert subs.filter(flow_trigger="WELCOME_SIGNUP", status="active").count() == 6
    assert subs.filter(flow_trigger="PREMIUM_ONBOARDING").count() == 3
    assert subs.filter(flow_trigger="PREMIUM_ONBOARDING", status="active").count() == 2
    assert [s.recipient_email for s in subs.filter(status="cancelled")] == ["u0@example.com"]
    assert subs.filter(email="U1@example.com").count() == 2
    assert [s.flow_trigger for s in subs.filter(email="u1@example.com", status="active")[1:]] == [
        "PREMIUM_ONBOARDING"
    ]
    assert Flow.objects.using(client).get(trigger="PREMIUM_ONBOARDING").subscriptions.count() == 3


def test_status_filter_is_local_and_counted_by_reading(
    client: NotifiedByClient, api_calls: Calls
) -> None:
    subscribe_many(client)
    api_calls()
    assert Subscription.objects.using(client).filter(status="cancelled").count() == 1
    (request,) = api_calls()
    assert "status" not in request.query


def test_queryset_delete_counts_every_record_of_each_pair(
    sandbox: Sandbox, client: NotifiedByClient, api_calls: Calls
) -> None:
    subscribe_many(client)
    # u0 has a cancelled and (after renewal) an active PREMIUM subscription: one pair, two records.
    Flow.objects.using(client).get(trigger="PREMIUM_ONBOARDING").subscribe("u0@example.com")
    api_calls()
    deleted = (
        Subscription.objects.using(client)
        .filter(flow_trigger="PREMIUM_ONBOARDING", status="active")
        .delete()
    )
    assert deleted == 4
    deletes = [r for r in api_calls() if r.method == "DELETE"]
    assert len(deletes) == 3
    assert {s["flow_trigger"] for s in sandbox.subscriptions} == {"WELCOME_SIGNUP"}
    assert not hasattr(Subscription.objects, "delete")  # a manager can't wipe everything
    with pytest.raises(TypeError, match="slice"):
        Subscription.objects.using(client).all()[:2].delete()


def test_instance_delete_refresh_and_cancel(sandbox: Sandbox, client: NotifiedByClient) -> None:
    welcome = Flow.objects.using(client).get(trigger="WELCOME_SIGNUP")
    sub = welcome.subscribe("a@example.com")
    sub.cancel()
    assert sub.status == "cancelled"
    sub.delete()
    assert sandbox.subscriptions == []
    with pytest.raises(Subscription.DoesNotExist):
        sub.refresh()


def test_delete_when_the_server_ignores_filters(sandbox: Sandbox, client: NotifiedByClient) -> None:
    subscribe_many(client)
    sandbox.configure(ignore_filters=True)
    assert Subscription.objects.using(client).filter(email="u5@example.com").delete() == 1
    assert len(sandbox.subscriptions) == 8
