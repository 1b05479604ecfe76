"""Test helpers: a pytest plugin with sandbox fixtures, and a test email backend.

The plugin loads itself when the package is installed (entry point ``pytest11``). Fixtures:

- ``notifiedby_sandbox_server``: one running :class:`~notifiedby.sandbox.Sandbox` per session.
- ``notifiedby_sandbox``: that sandbox, reset, with ``NOTIFIEDBY_API_KEY`` and
  ``NOTIFIEDBY_BASE_URL`` pointing at it (environment variables, and Django settings when
  they are configured), so the default client and the email backend talk to it.
- ``notifiedby_mailer``: ``notifiedby_sandbox``, with Django's email (``EMAIL_BACKEND``, or
  every ``MAILERS`` alias) sent through :class:`NotifiedByEmailBackend` to it.
- ``notifiedby_outbox``: Django's email sent to :class:`NotifiedByTestBackend`; the fixture is
  ``mail.outbox``.

Django settings are never configured here: a project's own conftest does that. The module
imports pytest, so the test backend is for test environments.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from notifiedby._mapping import EmailPayload
from notifiedby.backends import NotifiedByEmailBackend
from notifiedby.conf import API_KEY, BASE_URL

if TYPE_CHECKING:
    from notifiedby.sandbox import Sandbox

__all__ = [
    "NotifiedByTestBackend",
    "notifiedby_mailer",
    "notifiedby_outbox",
    "notifiedby_sandbox",
    "notifiedby_sandbox_server",
]

BACKEND_PATH = "notifiedby.NotifiedByEmailBackend"
TEST_BACKEND_PATH = "notifiedby.testing.NotifiedByTestBackend"

_test_ids = itertools.count(1)


class NotifiedByTestBackend(NotifiedByEmailBackend):
    """Run the real backend's pipeline without the network, keeping copies in mail.outbox.

    Messages are checked and mapped exactly as for sending (unsupported features raise),
    every address is ``sent`` with an id ``"test-<n>"``, and each copy in ``mail.outbox``
    carries ``notifiedby_status`` and ``notifiedby_payload`` (what the API would receive).
    """

    needs_api_key = False

    def open(self) -> bool:
        """Open nothing: there is no client."""
        return False

    def close(self) -> None:
        """Close nothing."""

    def build_payload(self, message: Any) -> EmailPayload:
        """Map the message as the real backend does, and keep the result on it."""
        payload = super().build_payload(message)
        message.notifiedby_payload = payload
        return payload

    def post_to_api(self, payload: EmailPayload, address: str, idempotency_key: str) -> Any:
        """Answer as the API would for an accepted send."""
        return {"id": f"test-{next(_test_ids)}"}

    def send_message(self, message: Any) -> None:
        """Send through the pipeline, then keep a copy in ``mail.outbox``."""
        from django.core import mail

        super().send_message(message)
        if message.notifiedby_status.recipients:
            if not hasattr(mail, "outbox"):
                mail.outbox = []
            # The memo shares this backend (which Django may have stored as the message's
            # connection) instead of copying it: its lock can't be copied.
            mail.outbox.append(copy.deepcopy(message, {id(self): self}))


# --- The pytest plugin. --------------------------------------------------------------------


@pytest.fixture(scope="session")
def notifiedby_sandbox_server() -> Iterator[Sandbox]:
    """A sandbox server running for the whole test session (on a free loopback port)."""
    from notifiedby.sandbox import Sandbox

    with Sandbox() as server:
        yield server


@pytest.fixture
def notifiedby_sandbox(
    notifiedby_sandbox_server: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sandbox]:
    """The session's sandbox, reset, with the SDK's settings pointing at it for this test."""
    server = notifiedby_sandbox_server
    server.reset()
    values = {API_KEY: server.api_key, BASE_URL: server.url}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    with _override_django_settings(**values):
        yield server


@pytest.fixture
def notifiedby_mailer(notifiedby_sandbox: Sandbox) -> Iterator[Sandbox]:
    """Like ``notifiedby_sandbox``, and Django's email goes through the real backend to it."""
    with _route_django_mail(BACKEND_PATH):
        yield notifiedby_sandbox


@pytest.fixture
def notifiedby_outbox() -> Iterator[list[Any]]:
    """Django's email goes to NotifiedByTestBackend; return ``mail.outbox``, emptied."""
    from django.core import mail

    with _route_django_mail(TEST_BACKEND_PATH):
        mail.outbox = []
        yield mail.outbox


def _django_configured() -> bool:
    from django.conf import settings

    return bool(settings.configured)


def _override_django_settings(**values: Any) -> Any:
    """Return a context manager that overrides Django settings when they are configured."""
    if not _django_configured():
        return contextlib.nullcontext()
    from django.test import override_settings

    return override_settings(**values)


def _route_django_mail(backend: str) -> Any:
    """Return a context manager that sends all of Django's email through ``backend``."""
    if not _django_configured():
        pytest.fail("Django settings are not configured: configure them in your conftest.py.")
    from django.conf import settings

    if hasattr(settings, "MAILERS"):  # Django 6.1+
        # Options are dropped: a production api_key option would beat the sandbox's.
        mailers = {alias: {"BACKEND": backend} for alias in settings.MAILERS}
        return _override_django_settings(MAILERS=mailers)
    return _override_django_settings(EMAIL_BACKEND=backend)
