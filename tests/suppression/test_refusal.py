"""The backend and the outbox refuse a suppressed address before any request."""

from __future__ import annotations

import unittest
from typing import Any

import pytest
from django.core import mail
from django.test import SimpleTestCase, TestCase

from notifiedby import NotifiedByEmailBackend, NotifiedByMessage, send_email_via_api
from notifiedby.exceptions import NotifiedByRecipientsRefused
from notifiedby.models import OutboxMessage, Suppression
from notifiedby.sandbox import Sandbox
from notifiedby.suppression.lookup import SUPPRESSED_REASON

SEND_PATH = "/v1/email/send/"

pytestmark = pytest.mark.usefixtures("db")


def sends(sandbox: Sandbox) -> list[Any]:
    return [r for r in sandbox.requests if r.path == SEND_PATH]


def test_a_suppressed_address_is_refused_without_a_request(mail_sandbox: Sandbox) -> None:
    Suppression.objects.suppress("Gone@Example.com", reason="bounced")
    message = mail.EmailMessage("Hi", "Hello", to=["gone@EXAMPLE.com"])
    with pytest.raises(NotifiedByRecipientsRefused, match="suppression list") as caught:
        message.send()
    assert caught.value.recipients == ("gone@EXAMPLE.com",)
    [status] = message.notifiedby_status.recipients.values()
    assert (status.status, status.reason, status.email_id) == ("rejected", SUPPRESSED_REASON, None)
    assert sends(mail_sandbox) == []


def test_a_mixed_message_goes_to_the_other_addresses(mail_sandbox: Sandbox) -> None:
    Suppression.objects.suppress("gone@example.com")
    message = mail.EmailMessage("Hi", "Hello", to=["ann@example.com"], cc=["gone@example.com"])
    assert message.send() == 1
    by_address = message.notifiedby_status.recipients
    assert by_address["ann@example.com"].status == "sent"
    assert by_address["gone@example.com"].status == "rejected"
    assert [r.json["recipient"] for r in sends(mail_sandbox)] == ["ann@example.com"]


def test_send_email_via_api_refuses_too(mail_sandbox: Sandbox) -> None:
    Suppression.objects.suppress("gone@example.com")
    message = mail.EmailMessage("Hi", "Hello", to=["gone@example.com"])
    with pytest.raises(NotifiedByRecipientsRefused):
        send_email_via_api(message)
    assert sends(mail_sandbox) == []


def test_fail_silently_swallows_the_refusal(mail_sandbox: Sandbox) -> None:
    Suppression.objects.suppress("gone@example.com")
    message = mail.EmailMessage("Hi", "Hello", to=["gone@example.com"])
    assert NotifiedByEmailBackend(fail_silently=True).send_messages([message]) == 0
    assert message.notifiedby_status.status == {"rejected"}
    assert sends(mail_sandbox) == []


@pytest.mark.parametrize("how", ["attribute", "keyword"])
def test_the_escape_hatch_sends_to_a_suppressed_address(mail_sandbox: Sandbox, how: str) -> None:
    Suppression.objects.suppress("gone@example.com")
    if how == "keyword":
        message: Any = NotifiedByMessage(
            "Reset", "x", to=["gone@example.com"], ignore_suppression=True
        )
    else:
        message = mail.EmailMessage("Reset", "x", to=["gone@example.com"])
        message.notifiedby_ignore_suppression = True
    assert message.send() == 1
    assert message.notifiedby_status.status == {"sent"}
    assert len(sends(mail_sandbox)) == 1


def test_one_query_per_message_for_all_its_addresses(mail_sandbox: Sandbox) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Suppression.objects.suppress("gone@example.com")
    mail.EmailMessage("Hi", "x", to=["a@example.com", "b@example.com"]).send()  # sees the table
    message = mail.EmailMessage("Hi", "x", to=["c@example.com", "gone@example.com"])
    with CaptureQueriesContext(connection) as queries:
        message.send()
    suppression_queries = [q for q in queries if "notifiedby_suppression" in q["sql"]]
    assert len(suppression_queries) == 1


def test_the_outbox_stores_no_row_for_a_suppressed_address(outbox: Sandbox) -> None:
    Suppression.objects.suppress("gone@example.com")
    message = mail.EmailMessage("Hi", "x", to=["ann@example.com", "GONE@example.com"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert message.send() == 1
    assert list(OutboxMessage.objects.values_list("recipient", flat=True)) == ["ann@example.com"]
    assert message.notifiedby_status.recipients["GONE@example.com"].status == "rejected"
    assert [r.json["recipient"] for r in sends(outbox)] == ["ann@example.com"]


def test_the_outbox_refuses_a_message_whose_every_address_is_suppressed(outbox: Sandbox) -> None:
    Suppression.objects.suppress("gone@example.com")
    message = mail.EmailMessage("Hi", "x", to=["gone@example.com"])
    with pytest.raises(NotifiedByRecipientsRefused):
        message.send()
    assert not OutboxMessage.objects.exists()
    message.notifiedby_ignore_suppression = True
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert message.send() == 1
    assert [r.json["recipient"] for r in sends(outbox)] == ["gone@example.com"]


def test_without_the_table_nothing_is_refused(mail_sandbox: Sandbox, monkeypatch: Any) -> None:
    from notifiedby import _db

    Suppression.objects.suppress("gone@example.com")
    monkeypatch.setattr(_db, "_tables_seen", set())
    monkeypatch.setattr(Suppression._meta, "db_table", "notifiedby_not_migrated")
    assert mail.EmailMessage("Hi", "x", to=["gone@example.com"]).send() == 1


def test_without_the_app_nothing_is_refused(mail_sandbox: Sandbox) -> None:
    from django.test import modify_settings

    Suppression.objects.suppress("gone@example.com")
    with modify_settings(INSTALLED_APPS={"remove": ["notifiedby"]}):
        assert mail.EmailMessage("Hi", "x", to=["gone@example.com"]).send() == 1


class _NoDatabase(SimpleTestCase):
    """A user's test that may not use the database; run by the test below."""

    __test__ = False

    def test_sends(self) -> None:
        assert mail.EmailMessage("Hi", "x", to=["gone@example.com"]).send() == 1


def test_a_test_without_the_database_sends_without_reading_the_list(
    mail_sandbox: Sandbox,
) -> None:
    Suppression.objects.suppress("gone@example.com")
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(_NoDatabase).run(result)
    assert result.errors == result.failures == []
    assert len(sends(mail_sandbox)) == 1
