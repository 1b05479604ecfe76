"""Settings of the example shop. The API key, base URL and encryption key come from the
environment (NOTIFIEDBY_API_KEY, NOTIFIEDBY_BASE_URL, NOTIFIEDBY_ENCRYPTION_KEY), so no
secret lives in this file."""

from __future__ import annotations

import os

import django

SECRET_KEY = "example-only-not-secret"  # noqa: S105 - a demo project
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
ROOT_URLCONF = "shop.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "notifiedby",
    "accounts",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_FROM_EMAIL = "hello@shop.example.com"
# Email content is stored encrypted on NotifiedBy when a key is set.
NOTIFIEDBY_ENCRYPTION_KEY = os.environ.get("NOTIFIEDBY_ENCRYPTION_KEY")

# Every mail Django sends goes through NotifiedBy. Django 6.1 configures mail with MAILERS.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "notifiedby.NotifiedByEmailBackend"}}
else:
    EMAIL_BACKEND = "notifiedby.NotifiedByEmailBackend"
