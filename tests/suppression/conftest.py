"""Suppression tests on the suite's in-process Django (SQLite in memory), against the sandbox."""

from __future__ import annotations

from tests.django.conftest import _database, db, mail_sandbox  # noqa: F401 - Django set up once
from tests.outbox.conftest import outbox  # noqa: F401
