"""The one-request manager methods that the flat functions, the email backend, the outbox and
the Celery tasks go through: one request each, the API's answer as it came (or, for a send,
a SendResult), and bad input refused before any request."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from notifiedby import Email, Flow, NotifiedByClient, Recipient
from notifiedby.exceptions import NotifiedByInvalidArgument, NotifiedByValidationError
from notifiedby.resources.email import EmailPayload, SendResult
from notifiedby.sandbox import RecordedRequest, Sandbox

Calls = Callable[[], list[RecordedRequest]]


def body(request: RecordedRequest) -> object:
    assert request.body is not None
    return json.loads(request.body)


def test_recipient_upsert_and_flags(
    sandbox: Sandbox, client: NotifiedByClient, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    created = recipients.upsert("a@example.com", first_name="A", flags="vip")
    assert (created["email"], created["first_name"], created["flags"]) == (
        "a@example.com",
        "A",
        ["vip"],
    )
    [call] = api_calls()
    assert (call.method, call.path) == ("POST", "/v1/recipients/")
    assert body(call) == {"email": "a@example.com", "first_name": "A", "flags": ["vip"]}
    assert "message" in recipients.set_flags("a@example.com", ["b", "c"])
    assert "message" in recipients.clear_flags("a@example.com", "vip")
    assert [c.path for c in api_calls()] == [
        "/v1/recipients/flags/set/",
        "/v1/recipients/flags/clear/",
    ]
    assert Recipient.objects.using(client).get(email="a@example.com").flags == ["b", "c"]


def test_flow_subscribe_and_unsubscribe(sandbox: Sandbox, client: NotifiedByClient) -> None:
    flows = Flow.objects.using(client)
    answer = flows.subscribe(
        "WELCOME_SIGNUP", "a@example.com", flags=["new"], idempotency_key="k-1"
    )
    assert isinstance(answer["subscription_id"], int)
    # The same key again: the sandbox answers as the first time and subscribes no one again.
    assert flows.subscribe("WELCOME_SIGNUP", "a@example.com", idempotency_key="k-1") == answer
    assert "detail" in flows.unsubscribe("WELCOME_SIGNUP", "a@example.com")
    assert [s["status"] for s in sandbox.subscriptions] == ["cancelled"]


def test_email_detail_and_delivery(client: NotifiedByClient, api_calls: Calls) -> None:
    emails = Email.objects.using(client)
    sent = emails.send(recipient="a@example.com", subject="S", body="<p>B</p>")
    api_calls()
    assert emails.detail(sent.id)["body"] == "<p>B</p>"
    assert emails.detail(address="a@example.com")["subject"] == "S"
    assert emails.delivery(sent.id) == {
        "id": sent.id,
        "status": "delivered",
        "ses_id": sent.delivery_status().ses_id,
    }
    assert len(api_calls()) == 4
    with pytest.raises(NotifiedByInvalidArgument, match="either"):
        emails.detail()
    with pytest.raises(NotifiedByInvalidArgument, match="either"):
        emails.detail("JDT", address="a@example.com")
    assert api_calls() == []


def test_send_payload_reports_a_blocked_recipient_without_raising(
    sandbox: Sandbox, client: NotifiedByClient
) -> None:
    sandbox.block("blocked@example.com")
    payload = EmailPayload(
        recipients=("ok@example.com", "blocked@example.com"), subject="S", body="B"
    )
    emails = Email.objects.using(client)
    ok = emails.send_payload(payload, "ok@example.com", idempotency_key="key-ok")
    blocked = emails.send_payload(payload, "blocked@example.com")
    assert (ok.blocked, ok.error, ok.answer) == (False, None, {"id": ok.email_id})
    assert blocked.blocked
    assert blocked.email_id is not None
    assert blocked.error == blocked.answer["error"]
    assert [e.idempotency_key for e in sandbox.emails[:1]] == ["key-ok"]


def test_a_send_answer_is_blocked_when_it_carries_an_error() -> None:
    assert not SendResult.from_answer({"id": "JDT"}).blocked
    assert not SendResult.from_answer({"id": "JDT", "error": ""}).blocked
    result = SendResult.from_answer({"id": "JDT", "error": "Recipient is blocked"})
    assert (result.blocked, result.email_id, result.error) == (True, "JDT", "Recipient is blocked")


def test_an_email_payload_is_checked_when_made_and_round_trips() -> None:
    payload = EmailPayload(
        recipients=("a@example.com",),
        subject="S",
        body="B",
        flags="vip",
        attachments=[("a.txt", b"x", None)],
    )
    assert payload.flags == ("vip",)  # one flag, never its letters
    assert payload.attachments == (("a.txt", b"x", "application/octet-stream"),)
    assert EmailPayload(recipients=payload.recipients, **payload.send_kwargs()) == payload
    with pytest.raises(NotifiedByInvalidArgument, match=r"^subject: ") as info:
        EmailPayload(recipients=(), subject=None, body="B")
    assert info.value.argument == "subject"
    with pytest.raises(NotifiedByInvalidArgument, match="control character"):
        EmailPayload(recipients=(), subject="S", body="B", attachments=[("a\n.txt", b"", None)])


@pytest.mark.parametrize(
    "call",
    [
        lambda c: Recipient.objects.using(c).upsert("not an address"),
        lambda c: Recipient.objects.using(c).set_flags("a@example.com", ["a,b"]),
        lambda c: Flow.objects.using(c).subscribe(" ", "a@example.com"),
        lambda c: Flow.objects.using(c).unsubscribe("WELCOME_SIGNUP", 42),
        lambda c: Email.objects.using(c).delivery(""),
        lambda c: Email.objects.using(c).send(recipient="a@example.com", subject="S", body=1),  # type: ignore[arg-type]
    ],
)
def test_bad_input_is_an_invalid_argument_and_sends_nothing(
    client: NotifiedByClient, api_calls: Calls, call: Callable[[NotifiedByClient], object]
) -> None:
    api_calls()
    with pytest.raises(NotifiedByInvalidArgument) as info:
        call(client)
    error = info.value
    assert isinstance(error, NotifiedByValidationError)  # what older code catches
    assert isinstance(error, ValueError)
    assert error.status_code is None
    assert str(error).startswith(f"{error.argument}: ")
    assert api_calls() == []
