"""Mail that Django itself sends: mail_admins and the password reset of django.contrib.auth."""

from __future__ import annotations

import pytest
from django.core import mail

from notifiedby.sandbox import Sandbox
from tests.django.conftest import SENDER


def test_mail_admins_reaches_every_admin(mail_sandbox: Sandbox) -> None:
    mail.mail_admins("Disk full", "Server 3 is at 99%.", html_message="<p>99%</p>")
    emails = mail_sandbox.emails
    assert [e.recipient for e in emails] == ["ops@example.com", "cto@example.com"]
    # Django adds its EMAIL_SUBJECT_PREFIX; the backend adds nothing.
    assert {e.subject for e in emails} == {"[Django] Disk full"}
    assert (emails[0].body, emails[0].plain_body) == ("<p>99%</p>", "Server 3 is at 99%.")


@pytest.mark.usefixtures("db")
def test_a_password_reset_mail_from_django_contrib_auth(mail_sandbox: Sandbox) -> None:
    from django.contrib.auth.forms import PasswordResetForm
    from django.contrib.auth.models import User

    User.objects.create_user("ann", "ann@example.com", "pw")
    form = PasswordResetForm({"email": "ann@example.com"})
    assert form.is_valid()
    form.save(domain_override="shop.example.com", from_email=SENDER)
    (sent,) = mail_sandbox.emails
    assert sent.recipient == "ann@example.com"
    assert sent.subject == "Password reset on shop.example.com"
    assert sent.plain_body is not None
    assert "shop.example.com/reset/" in sent.plain_body
    assert "ann" in sent.plain_body
