"""The flat functions: shapes they return, client=, old names, and bad input."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import notifiedby
from notifiedby import (
    Email,
    NotifiedByClient,
    create_or_update_recipient,
    delete_all_subscriptions,
    get_delivery_status,
    get_email_delivery_status,
    get_email_detail,
    list_emails,
    list_flow_subscriptions,
    list_recipients,
    list_sent_emails,
    subscribe_to_flow,
)
from notifiedby.exceptions import NotifiedByNotFoundError, NotifiedByValidationError
from notifiedby.sandbox import RecordedRequest, Sandbox
from tests.resources.conftest import make_recipients

Calls = Callable[[], list[RecordedRequest]]


def test_subscribe_returns_the_api_answer(sandbox: Sandbox, client: NotifiedByClient) -> None:
    answer = subscribe_to_flow(
        flow_trigger="WELCOME_SIGNUP", email="bob@example.com", flags="new_user", client=client
    )
    assert answer["subscription_id"] == sandbox.subscriptions[0]["id"]
    assert "successfully subscribed" in answer["detail"]
    assert sandbox.recipients[0]["flags"] == ["new_user"]  # one flag, not its letters


@pytest.mark.parametrize("bare", [False, True])
def test_list_flow_subscriptions_envelope(
    sandbox: Sandbox, client: NotifiedByClient, bare: bool
) -> None:
    for i in range(3):
        subscribe_to_flow(flow_trigger="WELCOME_SIGNUP", email=f"u{i}@example.com", client=client)
    sandbox.configure(bare_subscription_list=bare)
    result = list_flow_subscriptions(page=1, client=client)
    assert set(result) == {"count", "next", "previous", "results"}
    assert result["count"] == 3
    assert result["results"] == sandbox.subscriptions
    assert list_flow_subscriptions(client=client, email="u1@example.com")["count"] == 1
    if bare:
        with pytest.raises(NotifiedByNotFoundError):
            list_flow_subscriptions(page=2, client=client)


def test_paging_through_subscriptions(sandbox: Sandbox, client: NotifiedByClient) -> None:
    sandbox.configure(page_size=2)
    for i in range(5):
        subscribe_to_flow(flow_trigger="WELCOME_SIGNUP", email=f"u{i}@example.com", client=client)
    pages = [list_flow_subscriptions(page=n, client=client) for n in (1, 2, 3)]
    assert [len(p["results"]) for p in pages] == [2, 2, 1]
    assert pages[0]["next"] is not None
    assert pages[2]["next"] is None
    with pytest.raises(NotifiedByNotFoundError):
        list_flow_subscriptions(page=4, client=client)
    with pytest.raises(NotifiedByValidationError, match="page"):
        list_flow_subscriptions(page=0, client=client)


def test_delete_all_subscriptions_counts(sandbox: Sandbox, client: NotifiedByClient) -> None:
    sandbox.configure(page_size=2)
    for i in range(5):
        subscribe_to_flow(flow_trigger="WELCOME_SIGNUP", email=f"u{i}@example.com", client=client)
    assert delete_all_subscriptions(client=client) == 5
    assert sandbox.subscriptions == []
    assert delete_all_subscriptions(client=client) == 0


def test_list_recipients_is_lazy_and_reiterable(
    sandbox: Sandbox, client: NotifiedByClient, api_calls: Calls
) -> None:
    emails = make_recipients(client, 5)
    sandbox.configure(ignore_page_size=True, page_size=2)
    api_calls()
    recipients = list_recipients(client=client)
    assert api_calls() == []
    assert [r["email"] for r in recipients] == emails
    assert len(api_calls()) == 3
    assert [r["email"] for r in recipients] == emails
    assert next(iter(recipients)) == sandbox.recipients[0]


def test_old_names_and_email_functions(sandbox: Sandbox, client: NotifiedByClient) -> None:
    assert create_or_update_recipient("a@example.com", "A", client=client)["first_name"] == "A"
    sent = Email.objects.using(client).send(recipient="a@example.com", subject="S", body="B")
    assert get_email_detail(email_id=sent.id, client=client)["body"] == "B"
    assert get_email_detail(sqid=sent.id, client=client)["subject"] == "S"
    assert get_email_detail(email="a@example.com", client=client)["subject"] == "S"
    assert get_delivery_status(sent.id, client=client)["status"] == "delivered"
    assert get_email_delivery_status(sqid=sent.id, client=client)["id"] == sent.id
    assert list_sent_emails(client=client) == list_emails(page=1, client=client)
    assert list_emails(client=client, recipient="b@example.com")["results"] == []


def test_bad_input_is_refused_before_any_request(
    client: NotifiedByClient, api_calls: Calls
) -> None:
    api_calls()
    with pytest.raises(NotifiedByValidationError, match="flow_trigger"):
        subscribe_to_flow(flow_trigger="  ", email="a@example.com", client=client)
    with pytest.raises(NotifiedByValidationError, match="email"):
        subscribe_to_flow(flow_trigger="WELCOME_SIGNUP", email="nope", client=client)
    with pytest.raises(NotifiedByValidationError, match="flags"):
        notifiedby.set_recipient_flags("a@example.com", [b"x"], client=client)  # type: ignore[list-item]
    with pytest.raises(NotifiedByValidationError, match="exactly one"):
        get_email_detail(client=client)
    with pytest.raises(NotifiedByValidationError, match="exactly one"):
        get_email_detail("x", email="a@example.com", client=client)
    assert api_calls() == []


def test_public_names() -> None:
    for name in ("Recipient", "Flow", "Subscription", "Email", "list_recipients"):
        assert name in notifiedby.__all__
        assert getattr(notifiedby, name) is not None
