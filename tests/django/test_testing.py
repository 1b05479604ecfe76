"""The pytest plugin's fixtures and the test backend."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from notifiedby import NotifiedByMessage, Recipient
from notifiedby.exceptions import NotifiedByUnsupportedFeature
from notifiedby.sandbox import Sandbox


def test_notifiedby_sandbox_points_settings_and_the_default_client_at_it(
    notifiedby_sandbox: Sandbox,
) -> None:
    assert notifiedby_sandbox.url == settings.NOTIFIEDBY_BASE_URL
    assert os.environ["NOTIFIEDBY_API_KEY"] == notifiedby_sandbox.api_key
    Recipient.objects.create(email="ann@example.com")
    assert [r["email"] for r in notifiedby_sandbox.recipients] == ["ann@example.com"]


def test_the_repo_sandbox_fixture_is_the_plugin_server(
    sandbox: Sandbox, notifiedby_sandbox_server: Sandbox
) -> None:
    assert sandbox is notifiedby_sandbox_server


def test_notifiedby_outbox_records_with_statuses(notifiedby_outbox: list[Any]) -> None:
    message = NotifiedByMessage("Hi", "Text", to=["a@example.com"], cc=["b@example.com"])
    message.attach_alternative("<p>HTML</p>", "text/html")
    assert message.send() == 1
    (sent,) = notifiedby_outbox
    assert sent.notifiedby_status.status == {"sent"}
    assert list(sent.notifiedby_status.recipients) == ["a@example.com", "b@example.com"]
    assert sent.notifiedby_payload.body == "<p>HTML</p>"
    assert sent.notifiedby_payload.plain_body == "Text"
    assert sent.notifiedby_status.email_ids[0].startswith("test-")


def test_the_test_backend_raises_what_the_real_one_would(notifiedby_outbox: list[Any]) -> None:
    with pytest.raises(NotifiedByUnsupportedFeature):
        mail.EmailMessage("Hi", "x", to=["a@example.com"], reply_to=["r@example.com"]).send()
    assert notifiedby_outbox == []
