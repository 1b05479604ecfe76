"""The pytest plugin: sandbox fixtures, registered when the package is installed.

The entry point (``pytest11``) imports this module in every pytest run of a project that has
the package installed, so it imports nothing but pytest until a fixture is used.

- ``notifiedby_sandbox_server``: one running :class:`~notifiedby.sandbox.Sandbox` per session.
- ``notifiedby_sandbox``: that sandbox, reset, with the SDK pointed at it
  (:func:`~notifiedby.testing.use_sandbox`).
- ``notifiedby_mailer``: ``notifiedby_sandbox``, with Django's email sent through
  ``NotifiedByEmailBackend`` to it.
- ``notifiedby_mailoutbox``: Django's email sent to ``NotifiedByTestBackend``; the fixture is
  ``mail.outbox`` (as pytest-django's ``mailoutbox``).
- ``notifiedby_outbox``: the old name of ``notifiedby_mailoutbox``; deprecated.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from notifiedby.sandbox import Sandbox


@pytest.fixture(scope="session")
def notifiedby_sandbox_server() -> Iterator[Sandbox]:
    """A sandbox server running for the whole test session (on a free loopback port)."""
    from notifiedby.sandbox import Sandbox

    with Sandbox() as server:
        yield server


@pytest.fixture
def notifiedby_sandbox(notifiedby_sandbox_server: Sandbox) -> Iterator[Sandbox]:
    """The session's sandbox, reset, with the SDK's settings pointing at it for this test."""
    from notifiedby.testing._settings import use_sandbox

    notifiedby_sandbox_server.reset()
    with use_sandbox(notifiedby_sandbox_server) as server:
        yield server


@pytest.fixture
def notifiedby_mailer(notifiedby_sandbox: Sandbox) -> Iterator[Sandbox]:
    """Like ``notifiedby_sandbox``, and Django's email goes through the real backend to it."""
    from notifiedby.testing._settings import BACKEND_PATH, route_django_mail

    with route_django_mail(BACKEND_PATH):
        yield notifiedby_sandbox


@pytest.fixture
def notifiedby_mailoutbox() -> Iterator[list[Any]]:
    """Django's email goes to NotifiedByTestBackend; return ``mail.outbox``, emptied."""
    from django.core import mail

    from notifiedby.testing._settings import TEST_BACKEND_PATH, route_django_mail

    with route_django_mail(TEST_BACKEND_PATH):
        mail.outbox = []
        yield mail.outbox


@pytest.fixture
def notifiedby_outbox(notifiedby_mailoutbox: list[Any]) -> list[Any]:
    """Deprecated: the old name of ``notifiedby_mailoutbox``."""
    warnings.warn(
        "The notifiedby_outbox fixture is now notifiedby_mailoutbox (notifiedby_outbox is "
        "also the name of the outbox's management command); rename it in your tests.",
        DeprecationWarning,
        stacklevel=2,
    )
    return notifiedby_mailoutbox
