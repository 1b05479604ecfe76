"""The suppression list on a real PostgreSQL server, before and after its migration.

Runs Django in a subprocess, as tests/outbox/test_postgres.py does, on a database of its own;
skips, saying why, when PostgreSQL is unreachable.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from notifiedby.sandbox import Sandbox
from tests.outbox.test_postgres import KEY, _base_env, _run, fresh_database

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def database() -> Iterator[str]:
    """A database migrated up to the tracking table: no suppression table yet."""
    with fresh_database("notifiedby", "0002_tracking") as name:
        yield name


def test_refused_after_the_migration_and_harmless_before(
    database: str, sandbox: Sandbox, leak_secrets: set[str]
) -> None:
    leak_secrets.add(KEY)
    env = {
        **_base_env(database),
        "NOTIFIEDBY_API_KEY": sandbox.api_key,
        "NOTIFIEDBY_BASE_URL": sandbox.url,
        "NOTIFIEDBY_OUTBOX_KEYS": KEY,
        "NOTIFIEDBY_OUTBOX_DELIVERY": "workers",
    }
    found = json.loads(_run(["-m", "tests.suppression.pg_run"], env).splitlines()[-1])
    assert found["sent_early"] == 1
    assert found["usable"] is True
    assert found["sent_direct"] == 1
    assert found["direct"] == {"ann@example.com": "sent", "gone@example.com": "rejected"}
    assert found["queued"] == {"GONE@example.com": "rejected", "bob@example.com": "queued"}
    assert found["rows"] == ["bob@example.com"]
    sends = [r.json["recipient"] for r in sandbox.requests if r.path == "/v1/email/send/"]
    assert sends == ["gone@example.com", "ann@example.com"]
