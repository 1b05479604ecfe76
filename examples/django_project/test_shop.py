"""The shop against the NotifiedBy sandbox with the pytest fixtures, through the real backend.

Run with ``pytest`` from this directory, with or without pytest-django installed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from notifiedby.sandbox import Sandbox


def test_signup_upgrade_and_cancel(notifiedby_mailer: Sandbox, client: Client) -> None:
    sandbox = notifiedby_mailer
    response = client.post(
        "/signup/", {"username": "ann", "email": "ann@example.com", "first_name": "Ann"}
    )
    assert response.status_code == 201
    (ann,) = sandbox.recipients
    assert ann["flags"] == ["free_plan"]
    assert [s["flow_trigger"] for s in sandbox.subscriptions] == ["WELCOME_SIGNUP"]
    (welcome,) = [e for e in sandbox.emails if e.flow_trigger is None]
    assert welcome.subject == "Welcome to the shop"
    # Sealed when the project sets NOTIFIEDBY_ENCRYPTION_KEY; the fixture opens it with that key.
    assert welcome.encrypted == bool(settings.NOTIFIEDBY_ENCRYPTION_KEY)
    assert welcome.plain_body == "Hi Ann,\n\nthanks for signing up."

    assert client.post("/upgrade/ann/").status_code == 200
    assert sandbox.recipients[0]["flags"] == ["premium"]
    receipt = next(e for e in sandbox.emails if e.subject == "Your premium receipt")
    assert receipt.attachments[0].content == b"Premium plan: 10 EUR"
    assert receipt.first_name == "Ann"

    assert client.post("/cancel/ann/").status_code == 200
    statuses = {s["flow_trigger"]: s["status"] for s in sandbox.subscriptions}
    assert statuses["PREMIUM_ONBOARDING"] == "cancelled"
    assert statuses["REENGAGE_INACTIVE"] == "active"


def test_mail_in_a_test_outbox(
    notifiedby_mailoutbox: list[Any], notifiedby_sandbox: Sandbox
) -> None:
    from django.contrib.auth.models import User

    User.objects.create_user("bob", "bob@example.com", first_name="Bob")
    (welcome,) = notifiedby_mailoutbox
    assert welcome.to == ["bob@example.com"]
    assert welcome.notifiedby_status.status == {"sent"}
    assert welcome.notifiedby_payload.plain_body == "Hi Bob,\n\nthanks for signing up."
