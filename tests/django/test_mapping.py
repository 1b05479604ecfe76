"""Each mapping rule, with real Django messages sent over HTTP to the sandbox."""

from __future__ import annotations

import os
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from pathlib import Path

import django
import pytest
from django.core import mail

from notifiedby import NotifiedByMessage
from notifiedby.exceptions import NotifiedByUnsupportedFeature
from notifiedby.sandbox import Sandbox
from tests.django.conftest import SENDER

pytestmark = pytest.mark.usefixtures("mail_sandbox")


def test_every_distinct_address_of_to_cc_bcc_gets_its_own_copy(mail_sandbox: Sandbox) -> None:
    message = mail.EmailMessage(
        "Hello",
        "Hi",
        to=["a@example.com", "B <b@example.com>"],
        cc=["c@example.com"],
        bcc=["d@example.com"],
    )
    assert message.send() == 1
    assert [e.recipient for e in mail_sandbox.emails] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
        "d@example.com",
    ]
    assert message.notifiedby_status.status == {"sent"}
    assert len(set(message.notifiedby_status.email_ids)) == 4


def test_a_bcc_only_message_is_sent(mail_sandbox: Sandbox) -> None:
    message = mail.EmailMessage("Hidden", "Hi", bcc=["hidden@example.com"])
    assert message.send() == 1
    assert [e.recipient for e in mail_sandbox.emails] == ["hidden@example.com"]


def test_an_address_in_to_cc_and_bcc_is_sent_once(mail_sandbox: Sandbox) -> None:
    message = mail.EmailMessage(
        "Once",
        "Hi",
        to=["a@example.com", "A@Example.com"],
        cc=["Ann <a@example.com>"],
        bcc=["a@example.com", "b@example.com"],
    )
    message.send()
    assert [e.recipient for e in mail_sandbox.emails] == ["a@example.com", "b@example.com"]
    assert list(message.notifiedby_status.recipients) == ["a@example.com", "b@example.com"]


def test_the_subject_goes_exactly_as_given_unicode_included(mail_sandbox: Sandbox) -> None:
    subject = "Ünïcödé ✓ — 日本語 [Django] stays"
    mail.send_mail(subject, "Hi", SENDER, ["a@example.com"])
    assert mail_sandbox.emails[0].subject == subject


def test_html_alternative_is_the_body_and_text_the_plain_body(mail_sandbox: Sandbox) -> None:
    message = mail.EmailMultiAlternatives("Hi", "Plain text", to=["a@example.com"])
    message.attach_alternative("<p>HTML</p>", "text/html")
    message.send()
    sent = mail_sandbox.emails[0]
    assert (sent.body, sent.plain_body) == ("<p>HTML</p>", "Plain text")


def test_send_mail_with_html_message(mail_sandbox: Sandbox) -> None:
    mail.send_mail("Hi", "Text", SENDER, ["a@example.com"], html_message="<b>Bold</b>")
    sent = mail_sandbox.emails[0]
    assert (sent.body, sent.plain_body) == ("<b>Bold</b>", "Text")


def test_a_text_only_message_gets_an_escaped_html_body(mail_sandbox: Sandbox) -> None:
    text = "Dear <Ann> & co,\n\nline one\nline two"
    mail.send_mail("Hi", text, SENDER, ["a@example.com"])
    sent = mail_sandbox.emails[0]
    assert sent.plain_body == text
    assert sent.body == "<p>Dear &lt;Ann&gt; &amp; co,</p>\n\n<p>line one<br>line two</p>"


def test_an_html_only_message_has_no_plain_body(mail_sandbox: Sandbox) -> None:
    message = mail.EmailMessage("Hi", "<p>Only HTML</p>", to=["a@example.com"])
    message.content_subtype = "html"
    message.send()
    sent = mail_sandbox.emails[0]
    assert (sent.body, sent.plain_body) == ("<p>Only HTML</p>", None)


def test_attachments_of_every_form_keep_names_types_and_bytes(
    mail_sandbox: Sandbox, tmp_path: Path
) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    message = mail.EmailMessage("Files", "See attached", to=["a@example.com"])
    message.attach("notes.txt", "tëxt ✓", "text/plain")
    message.attach("raw.bin", b"\x00\xff\x10", None)
    message.attach_file(path)
    expected = [
        ("notes.txt", "text/plain", "tëxt ✓".encode()),
        ("raw.bin", "application/octet-stream", b"\x00\xff\x10"),
        ("report.csv", "text/csv", b"a,b\n1,2\n"),
    ]
    if django.VERSION < (6, 0):  # deprecated there, in favour of MIMEPart (tested below)
        message.attach(MIMEImage(png, "png", name="pic.png"))
        expected.append(("pic.png", "image/png", png))
    message.send()
    attachments = mail_sandbox.emails[0].attachments
    assert [(a.filename, a.content_type, a.content) for a in attachments] == expected


@pytest.mark.skipif(django.VERSION < (5, 2), reason="EmailAttachment is new in Django 5.2")
def test_django_attachment_objects(mail_sandbox: Sandbox) -> None:
    from django.core.mail import EmailAttachment

    message = mail.EmailMessage(
        "Hi",
        "x",
        to=["a@example.com"],
        attachments=[EmailAttachment("data.json", b"{}", "application/json")],
    )
    message.send()
    attachment = mail_sandbox.emails[0].attachments[0]
    assert (attachment.filename, attachment.content_type) == ("data.json", "application/json")


@pytest.mark.skipif(django.VERSION < (6, 0), reason="MIMEPart attachments are new in Django 6")
def test_mimepart_attachments(mail_sandbox: Sandbox) -> None:
    from email.message import MIMEPart

    part = MIMEPart()
    part.set_content(b"%PDF-1.7", maintype="application", subtype="pdf", filename="doc.pdf")
    message = mail.EmailMessage("Hi", "x", to=["a@example.com"])
    message.attach(part)
    message.send()
    attachment = mail_sandbox.emails[0].attachments[0]
    assert (attachment.filename, attachment.content_type, attachment.content) == (
        "doc.pdf",
        "application/pdf",
        b"%PDF-1.7",
    )


@pytest.mark.skipif(django.VERSION >= (6, 0), reason="MIMEBase attachments are deprecated")
def test_a_mimebase_attachment_with_a_unicode_file_name(mail_sandbox: Sandbox) -> None:
    part = MIMEBase("application", "pdf")
    part.set_payload(b"%PDF")
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "résumé.pdf"))
    message = mail.EmailMessage("Hi", "x", to=["a@example.com"])
    message.attach(part)
    message.send()
    attachment = mail_sandbox.emails[0].attachments[0]
    assert (attachment.filename, attachment.content) == ("résumé.pdf", b"%PDF")


def test_unicode_file_names(mail_sandbox: Sandbox) -> None:
    message = mail.EmailMessage("Hi", "x", to=["a@example.com"])
    message.attach("Übersicht 日本.pdf", b"%PDF", "application/pdf")
    message.send()
    assert mail_sandbox.emails[0].attachments[0].filename == "Übersicht 日本.pdf"


def test_a_10_mb_attachment_arrives_byte_for_byte(mail_sandbox: Sandbox) -> None:
    content = os.urandom(10 * 1024 * 1024)
    message = mail.EmailMessage("Big", "x", to=["a@example.com"])
    message.attach("big.bin", content, "application/octet-stream")
    assert message.send() == 1
    assert mail_sandbox.emails[0].attachments[0].content == content


def test_per_message_options_as_attributes_of_any_message(mail_sandbox: Sandbox) -> None:
    message = mail.EmailMessage("Hi", "x", to=["a@example.com"])
    message.first_name = "Ann"
    message.last_name = "Lee"
    message.flags = ["vip", "beta"]
    message.use_account_template = False
    message.send()
    sent = mail_sandbox.emails[0]
    assert (sent.first_name, sent.last_name, sent.flags) == ("Ann", "Lee", ("vip", "beta"))
    assert sent.use_account_template is False


def test_notifiedby_message_takes_the_options_as_arguments(mail_sandbox: Sandbox) -> None:
    message = NotifiedByMessage(
        "Hi", "x", to=["a@example.com"], first_name="Ann", flags="vip", use_account_template=False
    )
    message.send()
    sent = mail_sandbox.emails[0]
    assert (sent.first_name, sent.flags, sent.use_account_template) == ("Ann", ("vip",), False)


def test_use_account_template_defaults_to_the_setting(mail_sandbox: Sandbox) -> None:
    from django.test import override_settings

    mail.send_mail("Default", "x", SENDER, ["a@example.com"])
    with override_settings(NOTIFIEDBY_USE_ACCOUNT_TEMPLATE=False):
        mail.send_mail("Off", "x", SENDER, ["b@example.com"])
    assert [e.use_account_template for e in mail_sandbox.emails] == [True, False]


# --- What the API can't carry. --------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "feature"),
    [
        ({"reply_to": ["r@example.com"]}, "reply_to"),
        ({"headers": {"X-Tag": "1"}}, "header 'X-Tag'"),
    ],
)
def test_unsupported_features_raise_naming_the_feature(
    mail_sandbox: Sandbox, options: dict[str, object], feature: str
) -> None:
    message = mail.EmailMessage("Hi", "x", to=["a@example.com"], **options)
    with pytest.raises(NotifiedByUnsupportedFeature) as caught:
        message.send()
    assert caught.value.feature == feature
    assert "NOTIFIEDBY_IGNORE_UNSUPPORTED_FEATURES" in str(caught.value)
    assert mail_sandbox.requests == []


def test_a_non_html_alternative_is_unsupported(mail_sandbox: Sandbox) -> None:
    message = mail.EmailMultiAlternatives("Hi", "x", to=["a@example.com"])
    message.attach_alternative("BEGIN:VCALENDAR", "text/calendar")
    with pytest.raises(NotifiedByUnsupportedFeature, match="text/calendar"):
        message.send()


def test_unsupported_features_are_dropped_when_ignored(mail_sandbox: Sandbox) -> None:
    from django.test import override_settings

    message = mail.EmailMessage("Hi", "x", to=["a@example.com"], reply_to=["r@example.com"])
    with override_settings(NOTIFIEDBY_IGNORE_UNSUPPORTED_FEATURES=True):
        assert message.send() == 1
    assert len(mail_sandbox.emails) == 1


def test_strict_from_refuses_another_sender(mail_sandbox: Sandbox) -> None:
    from django.test import override_settings

    with override_settings(NOTIFIEDBY_STRICT_FROM=True):
        mail.send_mail("Ok", "x", f"Shop <{SENDER.upper()}>", ["a@example.com"])
        allowed = r"other@example\.com.* allows only DEFAULT_FROM_EMAIL, shop@example\.com"
        with pytest.raises(NotifiedByUnsupportedFeature, match=allowed):
            mail.send_mail("No", "x", "other@example.com", ["a@example.com"])
    mail.send_mail("Not strict", "x", "other@example.com", ["a@example.com"])
    assert [e.subject for e in mail_sandbox.emails] == ["Ok", "Not strict"]
