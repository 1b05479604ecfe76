"""The shop with Django's own test cases: ``python manage.py test`` runs these, and so does pytest.

Nothing here needs pytest installed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.test import TestCase

from notifiedby.testing import NotifiedBySandboxMixin, route_django_mail


class SignupAgainstTheSandbox(NotifiedBySandboxMixin, TestCase):
    def test_signup_subscribes_and_sends_the_welcome(self) -> None:
        response = self.client.post(
            "/signup/", {"username": "ann", "email": "ann@example.com", "first_name": "Ann"}
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(
            [s["flow_trigger"] for s in self.notifiedby.subscriptions], ["WELCOME_SIGNUP"]
        )
        (welcome,) = [e for e in self.notifiedby.emails if e.flow_trigger is None]
        self.assertEqual(welcome.recipient, "ann@example.com")
        # Sealed when the project sets NOTIFIEDBY_ENCRYPTION_KEY; the mixin opens it with that key.
        self.assertEqual(welcome.encrypted, bool(settings.NOTIFIEDBY_ENCRYPTION_KEY))
        self.assertEqual(welcome.plain_body, "Hi Ann,\n\nthanks for signing up.")

    def test_each_test_starts_from_a_reset_sandbox(self) -> None:
        self.assertEqual(self.notifiedby.emails, [])
        self.assertEqual(self.notifiedby.recipients, [])


class SignupInTheTestBackend(NotifiedBySandboxMixin, TestCase):
    # The sign-up signal subscribes the user to a flow on the sandbox; the mail itself goes
    # to the test backend, which the method's decorator puts in over the mixin's routing.
    @route_django_mail()
    def test_the_welcome_is_mapped_as_the_api_would_receive_it(self) -> None:
        User.objects.create_user("bob", "bob@example.com", first_name="Bob")
        (welcome,) = mail.outbox
        self.assertEqual(welcome.notifiedby_status.status, {"sent"})
        self.assertEqual(welcome.notifiedby_payload.plain_body, "Hi Bob,\n\nthanks for signing up.")
