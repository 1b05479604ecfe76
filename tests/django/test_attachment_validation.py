"""A Django message whose attachment has a control character in its file name, or a content
type that is not a media type, is refused before any request, and before the outbox stores
it: both would be written into a header of the multipart request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import mail
from django.test import override_settings

from notifiedby import NotifiedByEmailBackend, send_email_via_api
from notifiedby.exceptions import NotifiedByValidationError
from notifiedby.outbox import generate_key
from notifiedby.sandbox import Sandbox
from tests.django.conftest import mail_settings

SCRIPT_TYPE = "text/html\nContent-Length: 25\n\n<script>alert(1)</script>"


def message_with(filename: str, mimetype: str | None) -> mail.EmailMessage:
    message = mail.EmailMessage("Files", "See attached", to=["a@example.com", "b@example.com"])
    message.attach(filename, b"<p>hi</p>", mimetype)
    return message


@pytest.mark.parametrize(
    ("filename", "mimetype", "problem"),
    [
        ("invoice\r\n.pdf", "application/pdf", "has a control character ('\\r')"),
        ("page.html", SCRIPT_TYPE, "is not a type/subtype media type"),
        ("page.html", "text/html; charset", "is not a type/subtype media type"),
    ],
)
def test_the_backend_refuses_a_bad_attachment_before_any_request(
    mail_sandbox: Sandbox, filename: str, mimetype: str, problem: str
) -> None:
    message = message_with(filename, mimetype)

    with pytest.raises(NotifiedByValidationError) as info:
        message.send()

    assert mail_sandbox.requests == []
    assert str(info.value).startswith(f"Attachment {filename!r} ")
    assert problem in str(info.value)


def test_send_email_via_api_refuses_it_too(mail_sandbox: Sandbox) -> None:
    with pytest.raises(NotifiedByValidationError, match="control character"):
        send_email_via_api(message_with("a\x00.txt", None))
    assert mail_sandbox.requests == []


def test_fail_silently_sends_nothing(mail_sandbox: Sandbox) -> None:
    backend = NotifiedByEmailBackend(fail_silently=True)

    assert backend.send_messages([message_with("page.html", SCRIPT_TYPE)]) == 0
    assert mail_sandbox.requests == []


def test_a_guessed_content_type_passes(mail_sandbox: Sandbox) -> None:
    assert message_with("notes.txt", None).send() == 1
    assert {a.content_type for e in mail_sandbox.emails for a in e.attachments} == {"text/plain"}


@pytest.fixture
def outbox(mail_sandbox: Sandbox, db: None, leak_secrets: set[str]) -> Iterator[Sandbox]:
    key = generate_key()
    leak_secrets.add(key)
    with override_settings(
        **mail_settings("notifiedby.backends.OutboxEmailBackend"), NOTIFIEDBY_OUTBOX_KEYS=[key]
    ):
        yield mail_sandbox


def test_the_outbox_stores_nothing_for_a_bad_attachment(outbox: Sandbox) -> None:
    from notifiedby.models import OutboxMessage

    with pytest.raises(NotifiedByValidationError, match="not a type/subtype media type"):
        message_with("page.html", SCRIPT_TYPE).send()

    assert not OutboxMessage.objects.exists()
    assert outbox.requests == []
