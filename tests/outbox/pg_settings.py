"""Django settings for the outbox's PostgreSQL tests, which run Django in subprocesses.

The suite's own process is configured once, for SQLite (tests/django/conftest.py), so the
PostgreSQL scenarios run under these settings instead. The server and database come from
``NOTIFIEDBY_TEST_PG_*`` variables set by tests/outbox/test_postgres.py; the SDK reads its
own settings (API key, base URL, outbox keys) from the environment, as in production.
"""

from __future__ import annotations

import os
from typing import Any

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "notifiedby",
]
DATABASES: dict[str, dict[str, Any]] = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["NOTIFIEDBY_TEST_PG_DATABASE"],
        "HOST": os.environ["NOTIFIEDBY_TEST_PG_HOST"],
        "PORT": os.environ["NOTIFIEDBY_TEST_PG_PORT"],
        "USER": os.environ["NOTIFIEDBY_TEST_PG_USER"],
    }
}
# The admin's requirements, for the changelist test.
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
ROOT_URLCONF = "tests.outbox.pg_urls"
ALLOWED_HOSTS = ["testserver"]
SECRET_KEY = "tests-only-not-secret"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "notifiedby.backends.OutboxEmailBackend"
DEFAULT_FROM_EMAIL = "shop@example.com"
