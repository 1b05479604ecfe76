"""Django settings for the admin test's subprocess: the PostgreSQL tests' admin site, on SQLite.

The suite's own process runs without django.contrib.admin, so the admin pages are fetched in
a subprocess (``python -m tests.suppression.admin_run``) under these settings.
"""

from __future__ import annotations

from typing import Any

from tests.outbox.pg_settings import (  # noqa: F401 - the settings Django reads
    ALLOWED_HOSTS,
    DEFAULT_AUTO_FIELD,
    DEFAULT_FROM_EMAIL,
    INSTALLED_APPS,
    MIDDLEWARE,
    PASSWORD_HASHERS,
    ROOT_URLCONF,
    SECRET_KEY,
    TEMPLATES,
    USE_TZ,
)

DATABASES: dict[str, dict[str, Any]] = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
}
