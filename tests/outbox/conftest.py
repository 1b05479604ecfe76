"""Outbox tests on the suite's in-process Django (SQLite in memory), against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from notifiedby.client import NotifiedByClient
from notifiedby.outbox import generate_key
from notifiedby.sandbox import Sandbox
from tests.django.conftest import _database, db, mail_settings  # noqa: F401 - Django set up once

KEY = generate_key()


@pytest.fixture
def outbox(sandbox: Sandbox, db: None, leak_secrets: set[str]) -> Iterator[Sandbox]:  # noqa: F811
    """The sandbox, with settings sending Django email through the outbox to it."""
    leak_secrets.add(KEY)
    with override_settings(
        **mail_settings("notifiedby.backends.OutboxEmailBackend"),
        NOTIFIEDBY_API_KEY=sandbox.api_key,
        NOTIFIEDBY_BASE_URL=sandbox.url,
        NOTIFIEDBY_OUTBOX_KEYS=[KEY],
        NOTIFIEDBY_MAX_RETRIES=0,
    ):
        yield sandbox


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[NotifiedByClient]:
    with NotifiedByClient(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0) as c:
        yield c
