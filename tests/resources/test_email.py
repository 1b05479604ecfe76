"""Email: sending, blocked recipients, detail, latest, list items without id, delivery."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from notifiedby import Email, NotifiedByClient
from notifiedby.exceptions import NotifiedByRecipientBlocked, NotifiedByValidationError
from notifiedby.resources import DeliveryStatus
from notifiedby.sandbox import RecordedRequest, Sandbox

Calls = Callable[[], list[RecordedRequest]]


def test_send_then_detail_and_delivery(sandbox: Sandbox, client: NotifiedByClient) -> None:
    sent = Email.objects.using(client).send(
        recipient="alice@example.com",
        subject="Welcome",
        body="<p>Hi</p>",
        plain_body="Hi",
        first_name="Alice",
        flags=["new_user"],
        use_account_template=False,
    )
    (record,) = sandbox.emails
    assert sent.id == record.id
    assert (record.plain_body, record.first_name, record.use_account_template) == (
        "Hi",
        "Alice",
        False,
    )
    assert list(record.flags) == ["new_user"]
    detail = Email.objects.using(client).get(id=sent.id)
    assert detail == sent
    assert (detail.subject, detail.body) == ("Welcome", "<p>Hi</p>")
    assert detail.created_on is not None
    status = sent.delivery_status()
    assert isinstance(status, DeliveryStatus)
    assert status.status == "delivered"
    assert status.delivered
    assert status.ses_id == record.ses_id
    latest = Email.objects.using(client).latest(recipient="ALICE@example.com")
    assert latest.subject == "Welcome"
    assert latest.id is None  # the detail-by-address answer carries no id


def test_send_with_attachments(sandbox: Sandbox, client: NotifiedByClient) -> None:
    Email.objects.using(client).send(
        recipient="a@example.com",
        subject="Files",
        body="<p>See attached</p>",
        flags=["a", "b"],
        use_account_template=True,
        attachments=[("a.txt", b"hello", "text/plain"), ("b.bin", b"\x00\x01", None)],
    )
    (record,) = sandbox.emails
    assert [(a.filename, a.content) for a in record.attachments] == [
        ("a.txt", b"hello"),
        ("b.bin", b"\x00\x01"),
    ]
    assert list(record.flags) == ["a", "b"]
    assert record.use_account_template is True


def test_blocked_recipient_raises(sandbox: Sandbox, client: NotifiedByClient) -> None:
    sandbox.block("blocked@example.com")
    with pytest.raises(NotifiedByRecipientBlocked, match=r"blocked@example\.com") as info:
        Email.objects.using(client).send(recipient="blocked@example.com", subject="x", body="y")
    assert info.value.email_id == sandbox.emails[0].id
    assert info.value.recipient == "blocked@example.com"


def test_list_items_have_no_id(sandbox: Sandbox, client: NotifiedByClient) -> None:
    for n in range(3):
        Email.objects.using(client).send(recipient=f"u{n}@example.com", subject=f"S{n}", body="b")
    emails = list(Email.objects.using(client).all())
    assert [e.subject for e in emails] == ["S2", "S1", "S0"]  # newest first
    assert all(e.id is None for e in emails)
    assert emails[0] != emails[1]
    assert emails[0].to_dict().keys() == {"recipient", "subject", "created_on"}
    with pytest.raises(NotifiedByValidationError, match="no id"):
        emails[0].delivery_status()
    with pytest.raises(TypeError, match="unhashable"):
        hash(emails[0])
    assert [
        e.subject for e in Email.objects.using(client).filter(recipient="u1@example.com")[:10]
    ] == ["S1"]


def test_missing_emails(client: NotifiedByClient) -> None:
    with pytest.raises(Email.DoesNotExist):
        Email.objects.using(client).get(id="nope")
    with pytest.raises(Email.DoesNotExist):
        Email.objects.using(client).latest(recipient="nobody@example.com")
    with pytest.raises(NotifiedByValidationError, match="recipient"):
        Email.objects.using(client).latest()


def test_get_by_id_checks_other_filters(client: NotifiedByClient) -> None:
    sent = Email.objects.using(client).send(recipient="a@example.com", subject="s", body="b")
    assert Email.objects.using(client).filter(recipient="A@example.com").get(id=sent.id) == sent
    with pytest.raises(Email.DoesNotExist):
        Email.objects.using(client).get(id=sent.id, recipient="b@example.com")


def test_bad_input_is_refused_before_any_request(
    client: NotifiedByClient, api_calls: Calls
) -> None:
    api_calls()
    send = Email.objects.using(client).send
    with pytest.raises(NotifiedByValidationError, match="recipient"):
        send(recipient="not an address", subject="s", body="b")
    with pytest.raises(NotifiedByValidationError, match="subject"):
        send(recipient="a@example.com", subject=None, body="b")  # type: ignore[arg-type]
    with pytest.raises(NotifiedByValidationError, match="flags"):
        send(recipient="a@example.com", subject="s", body="b", flags=[1])  # type: ignore[list-item]
    with pytest.raises(NotifiedByValidationError, match="id"):
        Email.objects.using(client).get(id="")
    assert api_calls() == []


def test_encrypted_body_without_key(sandbox: Sandbox, client: NotifiedByClient) -> None:
    with NotifiedByClient(
        api_key=sandbox.api_key, base_url=sandbox.url, encryption_key="secret-key-123"
    ) as keyed:
        sent = Email.objects.using(keyed).send(
            recipient="a@example.com", subject="s", body="<p>secret</p>"
        )
        assert Email.objects.using(keyed).get(id=sent.id).body == "<p>secret</p>"
    plain = Email.objects.using(client).get(id=sent.id)
    assert plain.body is None
    assert plain.encrypted
    assert plain.to_dict()["encrypted"] is True
