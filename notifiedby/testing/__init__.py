"""Test helpers for projects that use notifiedby, for every Django test style.

- :class:`NotifiedBySandboxMixin`: for ``django.test.SimpleTestCase`` / ``TestCase`` (and so
  ``manage.py test``): one sandbox per test class, Django's email sent through it.
- The pytest fixtures of :mod:`notifiedby.testing.pytest_plugin`, registered when the package
  is installed: ``notifiedby_sandbox``, ``notifiedby_mailer``, ``notifiedby_mailoutbox``...
- :class:`NotifiedByTestBackend` (``notifiedby.backends.test``): the backend's pipeline
  without the network, copies in ``mail.outbox``.
- :func:`use_sandbox` and :func:`route_django_mail`, the two steps the others are made of.

None of them needs pytest, and every one opens emails sealed with the configured
``NOTIFIEDBY_ENCRYPTION_KEY``, so tests can assert on their plaintext.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from notifiedby._lazy import lazy_names

if TYPE_CHECKING:
    from notifiedby.backends.test import NotifiedByTestBackend as NotifiedByTestBackend
    from notifiedby.testing._settings import BACKEND_PATH as BACKEND_PATH
    from notifiedby.testing._settings import TEST_BACKEND_PATH as TEST_BACKEND_PATH
    from notifiedby.testing._settings import route_django_mail as route_django_mail
    from notifiedby.testing._settings import use_sandbox as use_sandbox
    from notifiedby.testing.testcases import NotifiedBySandboxMixin as NotifiedBySandboxMixin

# Lazy, as in notifiedby/__init__.py: test settings may name the test backend by this
# module's path, and importing it must not pull in Django's mail or requests.
_LAZY: dict[str, str] = {
    "BACKEND_PATH": "notifiedby.testing._settings",
    "NotifiedBySandboxMixin": "notifiedby.testing.testcases",
    "NotifiedByTestBackend": "notifiedby.backends.test",
    "TEST_BACKEND_PATH": "notifiedby.testing._settings",
    "route_django_mail": "notifiedby.testing._settings",
    "use_sandbox": "notifiedby.testing._settings",
}

__all__ = list(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)
