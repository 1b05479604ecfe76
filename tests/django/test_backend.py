"""The backend's contract: connections, statuses, errors, fail_silently, signals, options."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from notifiedby import NotifiedByClient, NotifiedByEmailBackend, send_email_via_api
from notifiedby.exceptions import (
    NotifiedByAuthError,
    NotifiedByConfigError,
    NotifiedByConnectionError,
    NotifiedByRecipientsRefused,
    NotifiedByServerError,
    NotifiedByUnsupportedFeature,
)
from notifiedby.sandbox import Sandbox
from notifiedby.signals import CancelSend, post_send, pre_send
from tests.django.conftest import BACKEND, HAS_MAILERS

pytestmark = pytest.mark.usefixtures("mail_sandbox")

SEND_PATH = "/v1/email/send/"


def message(to: str = "a@example.com", **kwargs: Any) -> mail.EmailMessage:
    return mail.EmailMessage("Hi", "Hello", to=[to], **kwargs)


def send_requests(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.requests if r.path == SEND_PATH]


@pytest.fixture
def no_api_key(mail_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No API key anywhere: not in Django settings, not in the environment."""
    monkeypatch.delenv("NOTIFIEDBY_API_KEY")
    with override_settings(NOTIFIEDBY_API_KEY=None):
        yield


def configured_backend(**options: Any) -> Any:
    """Return a backend built the way Django builds one from settings, with ``options``."""
    if not HAS_MAILERS:
        return mail.get_connection(**options)
    with override_settings(MAILERS={"tenant": {"BACKEND": BACKEND, "OPTIONS": options}}):
        return mail.mailers["tenant"]


# --- One session from open() to close(). ----------------------------------------------------


def test_five_messages_in_one_call_use_one_tcp_connection(mail_sandbox: Sandbox) -> None:
    backend = NotifiedByEmailBackend()
    messages = [message(f"user{i}@example.com") for i in range(5)]
    assert backend.send_messages(messages) == 5
    requests = send_requests(mail_sandbox)
    assert len(requests) == 5
    assert len({r.connection_id for r in requests}) == 1


def test_an_opened_backend_keeps_its_connection_across_calls(mail_sandbox: Sandbox) -> None:
    with NotifiedByEmailBackend() as backend:
        for i in range(3):
            backend.send_messages([message(f"user{i}@example.com")])
    assert len({r.connection_id for r in send_requests(mail_sandbox)}) == 1


@pytest.mark.usefixtures("no_api_key")
def test_an_empty_list_sends_nothing_and_opens_nothing() -> None:
    assert NotifiedByEmailBackend().send_messages([]) == 0


def test_a_client_you_pass_is_used_and_left_open(mail_sandbox: Sandbox) -> None:
    client = NotifiedByClient(api_key=mail_sandbox.api_key, base_url=mail_sandbox.url)
    with NotifiedByEmailBackend(client=client) as backend:
        backend.send_messages([message()])
    assert client._sessions.session is not None  # not closed by the backend
    client.close()


# --- Backend options: get_connection() keyword arguments and MAILERS OPTIONS. -----------------


def test_backend_options_beat_the_settings(mail_sandbox: Sandbox) -> None:
    tenant = Sandbox(api_keys=["tenant-key-0123456789"])
    with tenant:
        backend = configured_backend(api_key="tenant-key-0123456789", base_url=tenant.url)
        assert backend.send_messages([message()]) == 1
        assert [e.recipient for e in tenant.emails] == ["a@example.com"]
    assert mail_sandbox.emails == []


def test_encryption_key_and_timeout_options(mail_sandbox: Sandbox) -> None:
    backend = configured_backend(encryption_key="customer-key-0123456789", timeout=7)
    backend.send_messages([message()])
    assert mail_sandbox.emails[0].encrypted is True
    assert backend.create_client().timeout == (7.0, 7.0)


def test_a_refused_api_key_option_is_named_in_the_hint(mail_sandbox: Sandbox) -> None:
    backend = configured_backend(api_key="tenant-key-refused-0123456789")
    with pytest.raises(NotifiedByAuthError) as caught:
        backend.send_messages([message()])
    assert caught.value.hint == (
        "check the API key, which came from the api_key argument or email backend option"
    )


@pytest.mark.skipif(not HAS_MAILERS, reason="MAILERS is new in Django 6.1")
def test_mailers_alias_with_using(mail_sandbox: Sandbox) -> None:
    mailers = {
        "default": {"BACKEND": BACKEND},
        "quiet": {"BACKEND": BACKEND, "OPTIONS": {"use_account_template": False}},
    }
    with override_settings(MAILERS=mailers):
        mail.send_mail("Hi", "x", None, ["a@example.com"], using="quiet")
    assert mail_sandbox.emails[0].use_account_template is False


@pytest.mark.usefixtures("no_api_key")
def test_a_missing_api_key_raises_even_when_failing_silently() -> None:
    with pytest.raises(NotifiedByConfigError):
        NotifiedByEmailBackend(fail_silently=True).send_messages([message()])


# --- Statuses. ---------------------------------------------------------------------------------


def test_status_per_address_sent_and_rejected(mail_sandbox: Sandbox) -> None:
    mail_sandbox.block("blocked@example.com")
    email = mail.EmailMessage("Hi", "x", to=["a@example.com", "blocked@example.com"])
    assert email.send() == 1
    status = email.notifiedby_status
    assert status.status == {"sent", "rejected"}
    assert status.recipients["a@example.com"].status == "sent"
    rejected = status.recipients["blocked@example.com"]
    assert rejected.status == "rejected"
    assert rejected.email_id == mail_sandbox.emails[1].id
    assert "rejected" in repr(status)


def test_every_address_rejected_raises_recipients_refused(mail_sandbox: Sandbox) -> None:
    mail_sandbox.block("blocked@example.com")
    with pytest.raises(NotifiedByRecipientsRefused) as caught:
        message("blocked@example.com").send()
    assert caught.value.recipients == ("blocked@example.com",)
    with override_settings(NOTIFIEDBY_IGNORE_RECIPIENTS_REFUSED=True):
        email = message("blocked@example.com")
        assert email.send() == 0
        assert email.notifiedby_status.status == {"rejected"}


def test_a_bad_address_fails_alone_and_the_others_are_sent(mail_sandbox: Sandbox) -> None:
    email = mail.EmailMessage("Hi", "x", to=["not-an-address", "b@example.com"])
    backend = NotifiedByEmailBackend(fail_silently=True)
    assert backend.send_messages([email]) == 1
    status = email.notifiedby_status
    assert status.recipients["not-an-address"].status == "failed"
    assert status.recipients["not-an-address"].error is not None
    assert status.recipients["b@example.com"].status == "sent"


# --- fail_silently under an outage. ------------------------------------------------------------


@pytest.mark.parametrize("fault", [{"status": 503}, {"drop": True}])
def test_fail_silently_under_an_outage_returns_0(
    mail_sandbox: Sandbox, fault: dict[str, Any]
) -> None:
    mail_sandbox.inject_fault(**fault, rate=1.0)
    messages = [message(f"user{i}@example.com", cc=["cc@example.com"]) for i in range(3)]
    assert NotifiedByEmailBackend(fail_silently=True).send_messages(messages) == 0
    status = messages[0].notifiedby_status
    assert status.status == {"failed"}
    assert list(status.recipients) == ["user0@example.com", "cc@example.com"]
    # The cc copy was not tried: the outage would have struck it too.
    assert len(send_requests(mail_sandbox)) == 3


@pytest.mark.parametrize(
    ("fault", "error"),
    [({"status": 503}, NotifiedByServerError), ({"drop": True}, NotifiedByConnectionError)],
)
def test_without_fail_silently_an_outage_raises(
    mail_sandbox: Sandbox, fault: dict[str, Any], error: type[Exception]
) -> None:
    mail_sandbox.inject_fault(**fault, rate=1.0)
    with pytest.raises(error):
        NotifiedByEmailBackend().send_messages([message(), message("b@example.com")])
    assert len(send_requests(mail_sandbox)) == 1


def test_fail_silently_never_hides_an_unsupported_feature(mail_sandbox: Sandbox) -> None:
    backend = NotifiedByEmailBackend(fail_silently=True)
    with pytest.raises(NotifiedByUnsupportedFeature):
        backend.send_messages([message(reply_to=["r@example.com"])])


# --- Idempotency keys. -----------------------------------------------------------------------


def test_a_resend_of_the_same_message_reuses_its_keys(mail_sandbox: Sandbox) -> None:
    email = mail.EmailMessage("Hi", "x", to=["a@example.com", "b@example.com"])
    email.send()
    first = dict(email.notifiedby_idempotency_keys)
    email.send()
    assert email.notifiedby_idempotency_keys == first
    assert len(set(first.values())) == 2
    keys = [r.headers["Idempotency-Key"] for r in send_requests(mail_sandbox)]
    assert keys == [first["a@example.com"], first["b@example.com"]] * 2
    assert len(mail_sandbox.emails) == 2  # the sandbox honoured the keys


def test_keys_given_beforehand_are_used(mail_sandbox: Sandbox) -> None:
    email = message("Ann@Example.com")
    email.notifiedby_idempotency_keys = {"ann@example.com": "outbox-row-17"}
    email.send()
    assert mail_sandbox.emails[0].idempotency_key == "outbox-row-17"
    assert email.notifiedby_status.recipients["Ann@Example.com"].idempotency_key == "outbox-row-17"


# --- Signals. ----------------------------------------------------------------------------------


@pytest.fixture
def receivers() -> Iterator[list[Any]]:
    connected: list[Any] = []
    yield connected
    for signal, receiver in connected:
        signal.disconnect(receiver)


def test_pre_send_may_change_the_message(mail_sandbox: Sandbox, receivers: list[Any]) -> None:
    def tag(sender: Any, message: Any, **kwargs: Any) -> None:
        message.flags = ["from-signal"]
        message.subject = "Changed"

    pre_send.connect(tag)
    receivers.append((pre_send, tag))
    message().send()
    assert (mail_sandbox.emails[0].subject, mail_sandbox.emails[0].flags) == (
        "Changed",
        ("from-signal",),
    )


def test_pre_send_may_cancel(mail_sandbox: Sandbox, receivers: list[Any]) -> None:
    def cancel(sender: Any, message: Any, **kwargs: Any) -> None:
        if "skip" in message.subject:
            raise CancelSend

    pre_send.connect(cancel)
    receivers.append((pre_send, cancel))
    skipped = mail.EmailMessage("please skip", "x", to=["a@example.com"])
    kept = message("b@example.com")
    assert NotifiedByEmailBackend().send_messages([skipped, kept]) == 1
    assert skipped.notifiedby_status.status == frozenset()
    assert [e.recipient for e in mail_sandbox.emails] == ["b@example.com"]


def test_post_send_sees_failures_before_they_are_raised(
    mail_sandbox: Sandbox, receivers: list[Any]
) -> None:
    seen: list[Any] = []

    def record(sender: Any, message: Any, status: Any, backend: Any, **kwargs: Any) -> None:
        seen.append((sender, status.status))

    post_send.connect(record)
    receivers.append((post_send, record))
    mail_sandbox.inject_fault(503)
    with pytest.raises(NotifiedByServerError):
        message().send()
    assert seen == [(NotifiedByEmailBackend, {"failed"})]


# --- send_email_via_api, from the older package. -------------------------------------------


def test_send_email_via_api_returns_the_email_id(mail_sandbox: Sandbox) -> None:
    email_id = send_email_via_api(message(), use_account_template=False)
    assert email_id == mail_sandbox.emails[0].id
    assert mail_sandbox.emails[0].use_account_template is False


def test_send_email_via_api_with_a_client(mail_sandbox: Sandbox, no_api_key: None) -> None:
    client = NotifiedByClient(api_key=mail_sandbox.api_key, base_url=mail_sandbox.url)
    with client:
        assert send_email_via_api(message(), client=client) == mail_sandbox.emails[0].id
