"""Delivery tracking on a real PostgreSQL server, end to end on the sandbox.

As in tests/outbox/test_postgres.py (whose fixtures this module shares), each scenario runs
Django in a subprocess on a database of this module's own; the tests skip, saying why, when
PostgreSQL is unreachable.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from notifiedby.sandbox import Sandbox
from tests.outbox.test_postgres import (  # noqa: F401 - the shared fixtures
    _check_no_key,
    _connect,
    _run,
    _start,
    _wait_for,
    database,
    pg,
)

pytestmark = pytest.mark.timeout(60)


def _track(name: str, env: dict[str, str], *args: str) -> Any:
    return json.loads(_run(["-m", "tests.outbox.pg_track", name, *args], env).splitlines()[-1])


def test_each_outcome_is_recorded_and_signalled_once(pg: dict[str, str]) -> None:  # noqa: F811
    addresses = [
        "ann@example.com",
        "bounce@example.com",
        "complaint@example.com",
        "fail@example.com",
    ]
    result = _track("outcomes", pg, *addresses)
    assert result["first"] == {"delivered": 1, "bounced": 1, "complained": 1, "failed": 1}
    assert result["again"] == {}
    assert sorted((e["to"], e["type"]) for e in result["events"]) == [
        ("ann@example.com", "delivered"),
        ("bounce@example.com", "bounced"),
        ("complaint@example.com", "complained"),
        ("fail@example.com", "failed"),
    ]
    # Each row links the outbox message that sent it.
    assert [(r[0], r[1], r[2], r[3]) for r in result["rows"]] == [
        ("ann@example.com", "delivered", 1, "ann@example.com"),
        ("bounce@example.com", "bounced", 1, "bounce@example.com"),
        ("complaint@example.com", "complained", 1, "complaint@example.com"),
        ("fail@example.com", "failed", 1, "fail@example.com"),
    ]


def test_a_pending_email_is_given_up(pg: dict[str, str], sandbox: Sandbox) -> None:  # noqa: F811
    sandbox.configure(delivery_delay=7 * 86400)
    result = _track("give-up", pg, "ann@example.com")
    [[_, status, checks, _]] = result["rows"]
    assert status == "unknown"
    assert checks <= 16
    assert [e["type"] for e in result["events"]] == ["unknown"]


def test_two_pollers_check_each_email_once_and_signal_each_change_once(
    pg: dict[str, str],  # noqa: F811
    sandbox: Sandbox,
) -> None:
    result = _track("two-pollers", pg, "60")
    assert sum(Counter(c).total() for c in result["counts"]) == 60
    assert all(c.get("delivered") for c in result["counts"])  # both took a share
    assert sorted(Counter(e["id"] for e in result["events"]).values()) == [1] * 60
    assert {(r[1], r[2]) for r in result["rows"]} == {("delivered", 1)}
    checks = [r for r in sandbox.requests if r.path.startswith("/v1/email/delivery/")]
    assert len(checks) == 60


def test_the_admin_lists_sent_emails_by_status_and_date(pg: dict[str, str]) -> None:  # noqa: F811
    pages = _track("admin", pg)
    assert {page["status"] for page in pages.values()} == {200}
    assert "bob@example.com" in pages["bounced"]["html"]
    assert "ann@example.com" not in pages["bounced"]["html"]
    assert "ann@example.com" in pages["today"]["html"]
    assert "bob@example.com" in pages["change"]["html"]


@pytest.mark.parametrize(
    ("command", "stopped"),
    [
        (["notifiedby_track", "--interval", "0.1"], "Tracking poller stopped."),
        (["notifiedby_outbox", "--track", "--interval", "0.1"], "Outbox worker stopped."),
    ],
)
def test_a_worker_checks_due_emails_until_sigterm(
    pg: dict[str, str],  # noqa: F811
    database: str,  # noqa: F811
    command: list[str],
    stopped: str,
) -> None:
    with _connect(database) as connection:
        connection.execute(
            "INSERT INTO notifiedby_trackedemail (email_id, recipient, subject, status, "
            "raw_status, reason, sent_at, checks, next_check_at) VALUES ('NOPE', "
            "'ann@example.com', '', 'pending', '', '', now(), 0, now())"
        )

    def status() -> str:
        with _connect(database) as connection:
            row = connection.execute("SELECT status FROM notifiedby_trackedemail").fetchone()
            return str(row[0])

    worker = _start(["-m", "django", *command], pg)
    try:
        _wait_for(lambda: status() == "unknown", 20)  # the sandbox has no such email: a 404
    finally:
        worker.terminate()
    output = worker.communicate(timeout=10)[0]
    assert worker.returncode == 0
    assert "1 checked: 1 unknown" in output
    assert output.rstrip().endswith(stopped)
    _check_no_key(output, pg)
