"""Point the SDK and Django's email at a sandbox for the length of a test.

Django settings are never configured here: a project's own test set-up does that. Nothing
imports pytest, so ``manage.py test`` projects use the same two steps as the fixtures.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from notifiedby.conf import API_KEY, BASE_URL, ENCRYPTION_KEY, get_setting

if TYPE_CHECKING:
    from notifiedby.sandbox import Sandbox

__all__ = ["BACKEND_PATH", "TEST_BACKEND_PATH", "route_django_mail", "use_sandbox"]

BACKEND_PATH: Final = "notifiedby.NotifiedByEmailBackend"
TEST_BACKEND_PATH: Final = "notifiedby.backends.test.NotifiedByTestBackend"
#: Backend options that would point a routed backend away from the sandbox.
_WHERE_OPTIONS: Final = frozenset({"api_key", "base_url"})


@contextlib.contextmanager
def use_sandbox(sandbox: Sandbox) -> Iterator[Sandbox]:
    """Point the SDK at ``sandbox`` and let it open what the configured key seals.

    Sets ``NOTIFIEDBY_API_KEY`` and ``NOTIFIEDBY_BASE_URL`` in the environment, and in
    Django's settings when they are configured, so the default client and the email backend
    talk to the sandbox. Meanwhile the sandbox also opens sealed emails with the encryption
    keys configured at the time it shows them (``NOTIFIEDBY_ENCRYPTION_KEY``, and any
    ``encryption_key`` option of a ``MAILERS`` entry). Everything is put back on exit.
    """
    values = {API_KEY: sandbox.api_key, BASE_URL: sandbox.url}
    saved_environ = {name: os.environ.get(name) for name in values}
    # Asked on each view, so a key that a test's own override_settings sets counts too.
    sandbox.control.key_finders.append(configured_encryption_keys)
    os.environ.update(values)
    try:
        with _override_django_settings(**values):
            yield sandbox
    finally:
        for name, value in saved_environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        sandbox.control.key_finders.remove(configured_encryption_keys)


def route_django_mail(backend: str = TEST_BACKEND_PATH) -> Any:
    """Send all of Django's email through ``backend``: a decorator or a context manager.

    On Django 6.1+ every ``MAILERS`` alias gets the backend, keeping its options except
    ``api_key`` and ``base_url`` (a production key would beat the sandbox's); before that,
    ``EMAIL_BACKEND``. Raise RuntimeError when Django's settings are not configured.
    """
    if not _django_configured():
        raise RuntimeError(
            "Django settings are not configured: configure them in your test set-up "
            "(DJANGO_SETTINGS_MODULE, or settings.configure() in conftest.py) first."
        )
    from django.conf import settings

    if hasattr(settings, "MAILERS"):
        mailers = {
            alias: {**_kept_options(config), "BACKEND": backend}
            for alias, config in settings.MAILERS.items()
        }
        return _override_django_settings(MAILERS=mailers)
    return _override_django_settings(EMAIL_BACKEND=backend)


def configured_encryption_keys() -> list[str]:
    """The encryption keys the project's settings give its backends, without duplicates."""
    keys: list[str | None] = [get_setting(ENCRYPTION_KEY, default=None, convert=str)]
    if _django_configured():
        from django.conf import settings

        for config in getattr(settings, "MAILERS", {}).values():
            keys.append(config.get("OPTIONS", {}).get("encryption_key") or "")
    return list(dict.fromkeys(key for key in keys if key))


def _kept_options(config: dict[str, Any]) -> dict[str, Any]:
    options = {k: v for k, v in config.get("OPTIONS", {}).items() if k not in _WHERE_OPTIONS}
    return {"OPTIONS": options} if options else {}


def _django_configured() -> bool:
    from django.conf import settings

    return bool(settings.configured)


def _override_django_settings(**values: Any) -> Any:
    """Return Django's override_settings when settings are configured, else a no-op."""
    if not _django_configured():
        return contextlib.nullcontext()
    from django.test import override_settings

    return override_settings(**values)
