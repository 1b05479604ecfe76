"""The test helpers: pytest fixtures, the TestCase mixin, the test backend, sealed emails."""

from __future__ import annotations

import os
import subprocess
import sys
import unittest
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import SimpleTestCase, override_settings

from notifiedby import NotifiedByMessage, Recipient
from notifiedby.exceptions import NotifiedByUnsupportedFeature
from notifiedby.sandbox import Sandbox
from notifiedby.testing import NotifiedBySandboxMixin, route_django_mail, use_sandbox

KEY = "tests-only-encryption-key"


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


def test_notifiedby_mailoutbox_records_with_statuses(notifiedby_mailoutbox: list[Any]) -> None:
    message = NotifiedByMessage("Hi", "Text", to=["a@example.com"], cc=["b@example.com"])
    message.attach_alternative("<p>HTML</p>", "text/html")
    assert message.send() == 1
    (sent,) = notifiedby_mailoutbox
    assert sent.notifiedby_status.status == {"sent"}
    assert list(sent.notifiedby_status.recipients) == ["a@example.com", "b@example.com"]
    assert sent.notifiedby_payload.body == "<p>HTML</p>"
    assert sent.notifiedby_payload.plain_body == "Text"
    assert sent.notifiedby_status.email_ids[0].startswith("test-")


def test_the_test_backend_raises_what_the_real_one_would(notifiedby_mailoutbox: list[Any]) -> None:
    with pytest.raises(NotifiedByUnsupportedFeature):
        mail.EmailMessage("Hi", "x", to=["a@example.com"], reply_to=["r@example.com"]).send()
    assert notifiedby_mailoutbox == []


def test_the_old_fixture_name_works_and_warns(request: pytest.FixtureRequest) -> None:
    with pytest.warns(DeprecationWarning, match="notifiedby_mailoutbox"):
        outbox = request.getfixturevalue("notifiedby_outbox")
    mail.EmailMessage("Hi", "x", to=["a@example.com"]).send()
    assert [m.subject for m in outbox] == ["Hi"]


@override_settings(NOTIFIEDBY_ENCRYPTION_KEY=KEY)  # type: ignore[untyped-decorator]
def test_the_mailer_opens_emails_sealed_with_the_configured_key(
    notifiedby_mailer: Sandbox,
) -> None:
    message = NotifiedByMessage("Sealed", "Plain words", to=["a@example.com"])
    message.attach("note.txt", "attached words", "text/plain")
    message.send()
    # The API received the key, so the sandbox stored the content encrypted...
    (sent,) = notifiedby_mailer.emails
    assert sent.encrypted
    assert notifiedby_mailer.requests[-1].headers["Encryption-Key"] != KEY
    row = notifiedby_mailer.control.store.find_email(sent.id)
    assert row is not None
    assert row["content"][:1] == b"\x01"
    # ...and the fixture opens it with the configured key, for this test only.
    assert sent.plain_body == "Plain words"
    assert sent.attachments[0].content == b"attached words"
    assert notifiedby_mailer.encryption_keys == []  # asked of the settings, not kept


def test_use_sandbox_puts_everything_back(notifiedby_sandbox_server: Sandbox) -> None:
    os.environ["NOTIFIEDBY_BASE_URL"] = "http://127.0.0.2:9"
    with (
        override_settings(NOTIFIEDBY_ENCRYPTION_KEY=KEY),
        use_sandbox(notifiedby_sandbox_server) as server,
    ):
        assert os.environ["NOTIFIEDBY_BASE_URL"] == server.url
        assert os.environ["NOTIFIEDBY_API_KEY"] == server.api_key
        assert server.control.key_finders[0]() == [KEY]
    assert os.environ["NOTIFIEDBY_BASE_URL"] == "http://127.0.0.2:9"
    assert "NOTIFIEDBY_API_KEY" not in os.environ
    assert notifiedby_sandbox_server.control.key_finders == []


def test_route_django_mail_keeps_mailer_options_but_the_address(db: None) -> None:
    mailers = {"default": {"BACKEND": "x", "OPTIONS": {"api_key": "k", "timeout": 3}}}
    if not hasattr(settings, "MAILERS"):
        with route_django_mail():
            assert settings.EMAIL_BACKEND == "notifiedby.backends.test.NotifiedByTestBackend"
        return
    with override_settings(MAILERS=mailers), route_django_mail("y.Backend"):
        assert settings.MAILERS == {"default": {"BACKEND": "y.Backend", "OPTIONS": {"timeout": 3}}}


class _Signup(NotifiedBySandboxMixin, SimpleTestCase):
    """A user's test case; run by the test below through unittest, as manage.py test would."""

    __test__ = False  # pytest would run it without the key the test below sets

    def test_a_sent_email_reaches_the_sandbox_in_plaintext(self) -> None:
        mail.EmailMessage("Welcome", "Hello Ann", to=["ann@example.com"]).send()
        (welcome,) = self.notifiedby.emails
        assert welcome.encrypted
        assert welcome.plain_body == "Hello Ann"

    def test_each_test_starts_from_a_reset_sandbox(self) -> None:
        assert self.notifiedby.emails == []
        mail.EmailMessage("Second", "x", to=["bob@example.com"]).send()

    @route_django_mail()  # type: ignore[untyped-decorator]
    def test_the_test_backend_can_take_over_for_one_test(self) -> None:
        mail.EmailMessage("Receipt", "x", to=["ann@example.com"]).send()
        assert [m.subject for m in mail.outbox] == ["Receipt"]
        assert self.notifiedby.emails == []


@override_settings(NOTIFIEDBY_ENCRYPTION_KEY=KEY)  # type: ignore[untyped-decorator]
def test_the_mixin_gives_each_test_a_reset_sandbox_that_opens_sealed_mail() -> None:
    before = dict(os.environ)
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(_Signup)
    result = unittest.TestResult()
    suite.run(result)
    assert result.testsRun == 3
    assert result.errors == result.failures == []
    # The class's sandbox is stopped and the settings are back.
    assert dict(os.environ) == before
    assert not hasattr(settings, "NOTIFIEDBY_BASE_URL") or "127.0.0.1" not in str(
        settings.NOTIFIEDBY_BASE_URL
    )


def test_the_test_backend_and_helpers_import_without_pytest() -> None:
    code = (
        "import sys; sys.modules['pytest'] = None\n"
        "from django.conf import settings; settings.configure()\n"
        "import django; django.setup()\n"
        "from notifiedby.backends.test import NotifiedByTestBackend\n"
        "from notifiedby.testing import NotifiedBySandboxMixin, NotifiedByTestBackend as old\n"
        "from django.utils.module_loading import import_string\n"
        "assert import_string('notifiedby.testing.NotifiedByTestBackend') is old\n"
        "assert old is NotifiedByTestBackend\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_pytest_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys; import notifiedby.testing.pytest_plugin\n"
        "heavy = {'django', 'requests', 'attrs', 'notifiedby.sandbox'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
