"""Django for the backend tests: settings configured once per process, a database on demand.

Settings are configured at import, so every test of a pytest process (other packages too)
sees the same configured Django. They set no NOTIFIEDBY_* value: tests elsewhere point the
SDK at the sandbox through environment variables, which those settings must not shadow.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.conf import settings
from django.core.checks import CheckMessage

from notifiedby.sandbox import Sandbox

#: Django 6.1 replaces EMAIL_BACKEND with MAILERS (and deprecates the former).
HAS_MAILERS = django.VERSION >= (6, 1)
BACKEND = "notifiedby.NotifiedByEmailBackend"
SENDER = "shop@example.com"
#: Django 6.0 takes ADMINS as addresses, and deprecates the (name, address) pairs.
ADMINS: list[Any] = (
    ["ops@example.com", "cto@example.com"]
    if django.VERSION >= (6, 0)
    else [("Ops", "ops@example.com"), ("CTO", "cto@example.com")]
)


TEMPLATE_BACKEND = "django.template.backends.django.DjangoTemplates"
#: The password reset templates live in django.contrib.admin, which the tests don't install.
TEMPLATE_LOADER = (
    "django.template.loaders.locmem.Loader",
    {
        "registration/password_reset_subject.txt": "Password reset on {{ site_name }}",
        "registration/password_reset_email.html": (
            "Hi {{ user.get_username }}, reset it at "
            "{{ protocol }}://{{ domain }}/reset/{{ uid }}/{{ token }}/"
        ),
    },
)


def mail_settings(backend: str = BACKEND) -> dict[str, Any]:
    """Return the settings that route Django's email through ``backend`` on this Django."""
    if HAS_MAILERS:
        return {"MAILERS": {"default": {"BACKEND": backend}}}
    return {"EMAIL_BACKEND": backend}


if not settings.configured:
    settings.configure(
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "notifiedby",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        SECRET_KEY="tests-only-not-secret",
        DEFAULT_FROM_EMAIL=SENDER,
        SERVER_EMAIL=SENDER,
        ADMINS=ADMINS,
        USE_TZ=True,
        TEMPLATES=[{"BACKEND": TEMPLATE_BACKEND, "OPTIONS": {"loaders": [TEMPLATE_LOADER]}}],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        **mail_settings(),
    )
    django.setup()


def check_messages(**settings: Any) -> list[CheckMessage]:
    """Run the package's system checks under ``settings``; they send through the backend,
    so an API key is given unless the test says otherwise."""
    from django.test import override_settings

    from notifiedby.checks import check_settings

    settings.setdefault("NOTIFIEDBY_API_KEY", "key-0123456789")
    with override_settings(**settings):
        return check_settings()


@pytest.fixture
def mail_sandbox(notifiedby_mailer: Sandbox) -> Sandbox:
    """The sandbox, reset, with the SDK's settings and Django's email pointed at it."""
    return notifiedby_mailer


@pytest.fixture(scope="session")
def _database() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@pytest.fixture
def db(_database: None) -> Iterator[None]:
    """The in-memory database, migrated; what a test writes is rolled back after it."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)
