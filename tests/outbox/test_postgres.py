"""The outbox on a real PostgreSQL server: transactions, concurrent workers, a killed worker,
the admin.

The suite's process runs Django on SQLite, so each scenario runs Django in a subprocess with
tests.outbox.pg_settings, on a database made for this module in this pytest worker (xdist
workers never share one) and dropped afterwards. The sandbox runs in this process; the tests
check what it received. They skip, saying why, when PostgreSQL is unreachable.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from notifiedby.outbox import generate_key
from notifiedby.sandbox import Sandbox
from tests.outbox.pg_run import SECRET_BODY

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed (the postgres extra)")
from psycopg import sql  # noqa: E402 - only once psycopg is known to be there

ROOT = Path(__file__).resolve().parents[2]
SERVER = {
    "host": os.environ.get("NOTIFIEDBY_TEST_PG_HOST", "127.0.0.1"),
    "port": os.environ.get("NOTIFIEDBY_TEST_PG_PORT", "5432"),
    "user": os.environ.get("NOTIFIEDBY_TEST_PG_USER", "postgres"),
}
#: The database that exists on the server, to connect to while creating ours.
MAINTENANCE_DB = "test"
KEY = generate_key()
WORKER = ["-m", "django", "notifiedby_outbox"]

pytestmark = pytest.mark.timeout(60)


def _connect(dbname: str) -> Any:
    return psycopg.connect(dbname=dbname, autocommit=True, connect_timeout=3, **SERVER)


def _base_env(database: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("NOTIFIEDBY")}
    env.update({f"NOTIFIEDBY_TEST_PG_{name.upper()}": value for name, value in SERVER.items()})
    env.update(
        NOTIFIEDBY_TEST_PG_DATABASE=database, DJANGO_SETTINGS_MODULE="tests.outbox.pg_settings"
    )
    return env


def _check_no_key(output: str, env: dict[str, str]) -> None:
    secrets = [env.get("NOTIFIEDBY_API_KEY", ""), *env.get("NOTIFIEDBY_OUTBOX_KEYS", "").split(",")]
    # The assertion names no key: the message would otherwise be the leak.
    assert not [s for s in secrets if s and s in output], "a key appeared in a subprocess's output"


def _run(args: list[str], env: dict[str, str]) -> str:
    """Run ``python ARGS`` in the project; return its stdout, failing on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=45
    )
    _check_no_key(done.stdout + done.stderr, env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _scenario(name: str, env: dict[str, str], *args: str) -> Any:
    return json.loads(_run(["-m", "tests.outbox.pg_run", name, *args], env).splitlines()[-1])


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _rows(database: str) -> list[tuple[Any, ...]]:
    with _connect(database) as connection:
        query = "SELECT recipient, state, attempts, idempotency_key, email_id FROM {} ORDER BY id"
        table = sql.Identifier("notifiedby_outboxmessage")
        rows: list[tuple[Any, ...]] = connection.execute(sql.SQL(query).format(table)).fetchall()
        return rows


def _value(database: str, column: str) -> Any:
    """Return ``column`` of the only outbox row."""
    query = sql.SQL("SELECT {} FROM {}").format(
        sql.Identifier(column), sql.Identifier("notifiedby_outboxmessage")
    )
    with _connect(database) as connection:
        return connection.execute(query).fetchone()[0]


def _sent(database: str) -> int:
    return sum(row[1] == "sent" for row in _rows(database))


def _open_transactions(database: str) -> int:
    """Return how many other sessions on ``database`` are inside a transaction."""
    query = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND xact_start IS NOT NULL"
        " AND pid <> pg_backend_pid()"
    )
    with _connect(database) as connection:
        count: int = connection.execute(query, (database,)).fetchone()[0]
        return count


@contextmanager
def fresh_database(*migration: str) -> Iterator[str]:
    """Give a new database, migrated (``manage.py migrate MIGRATION``), dropped afterwards;
    skip the test when PostgreSQL is unreachable."""
    try:
        server = _connect(MAINTENANCE_DB)
    except psycopg.OperationalError as exc:
        where = f"{SERVER['user']}@{SERVER['host']}:{SERVER['port']}/{MAINTENANCE_DB}"
        pytest.skip(f"PostgreSQL is not reachable at {where}: {exc}")
    name = f"notifiedby_test_{uuid.uuid4().hex[:12]}"
    with server:
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            migrate = ["-m", "django", "migrate", *migration, "--verbosity", "0", "--skip-checks"]
            _run(migrate, _base_env(name))
            yield name
        finally:
            # FORCE: a worker a test killed may not have been disconnected yet.
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            server.execute(drop.format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A migrated database of this module's own, dropped afterwards."""
    with fresh_database() as name:
        yield name


@pytest.fixture
def pg(database: str, sandbox: Sandbox, leak_secrets: set[str]) -> dict[str, str]:
    """The environment of a Django subprocess: this module's database with an empty outbox,
    the SDK pointed at the (reset) sandbox."""
    with _connect(database) as connection:
        connection.execute("TRUNCATE notifiedby_outboxmessage CASCADE")
    leak_secrets.add(KEY)
    return {
        **_base_env(database),
        "NOTIFIEDBY_API_KEY": sandbox.api_key,
        "NOTIFIEDBY_BASE_URL": sandbox.url,
        "NOTIFIEDBY_OUTBOX_KEYS": KEY,
        "NOTIFIEDBY_MAX_RETRIES": "0",
    }


def test_queued_in_the_transaction_and_sent_once_after_commit(
    pg: dict[str, str], sandbox: Sandbox
) -> None:
    result = _scenario("transaction-path", pg)
    assert result["inside"] == ["pending"]  # in the transaction, not yet sent
    key = result["keys"]["committed@example.com"]
    assert result["after"] == [["committed@example.com", "sent", key]]  # nothing rolled back
    assert [(e.recipient, e.idempotency_key) for e in sandbox.emails] == [
        ("committed@example.com", key)
    ]


def test_two_workers_drain_500_messages_without_duplicate_or_loss(
    pg: dict[str, str],
    database: str,
    sandbox: Sandbox,
    record_property: Callable[[str, object], None],
) -> None:
    total = 500
    assert _scenario("queue", {**pg, "NOTIFIEDBY_OUTBOX_DELIVERY": "workers"}, str(total)) == {
        "queued": total
    }
    assert sandbox.emails == []
    started = time.monotonic()
    workers = [_start([*WORKER, "--interval", "0.1"], pg) for _ in range(2)]
    try:
        _wait_for(lambda: _sent(database) == total, 40)
    finally:
        for worker in workers:
            worker.terminate()  # SIGTERM: each finishes the message in hand and stops
    elapsed = time.monotonic() - started
    outputs = [worker.communicate(timeout=10)[0] for worker in workers]
    for worker, output in zip(workers, outputs, strict=True):
        assert worker.returncode == 0
        assert output.rstrip().endswith("Outbox worker stopped.")
        _check_no_key(output, pg)
    shares = [sum(map(int, re.findall(r"(\d+) sent", output))) for output in outputs]

    emails = sandbox.emails
    rows = _rows(database)
    sends = [r for r in sandbox.requests if r.path == "/v1/email/send/"]
    duplicates = len(emails) - len({e.recipient for e in emails})
    losses = total - len({e.recipient for e in emails})
    record_property(
        "figures",
        f"PostgreSQL, 2 workers, {total} messages in {elapsed:.1f} s: worker shares {shares}, "
        f"{len(sends)} send requests, {duplicates} duplicates, {losses} losses",
    )
    expected = sorted(f"user{n}@example.com" for n in range(total))
    assert sorted(e.recipient for e in emails) == expected
    assert (duplicates, losses, len(sends)) == (0, 0, total)  # no repeat was even needed
    assert {e.idempotency_key for e in emails} == {row[3] for row in rows}
    assert {row[1] for row in rows} == {"sent"}
    assert sum(shares) == total
    assert min(shares) > 0, f"one worker did all the work: {shares}"


def test_a_worker_killed_mid_send_leaves_its_message_to_be_sent_once_after_the_lease(
    pg: dict[str, str], database: str, sandbox: Sandbox
) -> None:
    env = {**pg, "NOTIFIEDBY_OUTBOX_LEASE": "1"}
    _scenario("queue", {**env, "NOTIFIEDBY_OUTBOX_DELIVERY": "workers"}, "1")
    # The server sends the email, then takes 5 s to answer: the kill lands in between.
    sandbox.inject_fault(latency=5, path="/v1/email/send/", after=True)
    doomed = _start([*WORKER, "--once"], env)
    try:
        _wait_for(lambda: len(sandbox.emails) == 1, 20)
        # The claim was committed before the send: nothing is held open while it waits.
        assert _open_transactions(database) == 0
    finally:
        doomed.kill()
        doomed.communicate(timeout=10)
    [(_, state, attempts, key, _)] = _rows(database)
    assert (state, attempts) == ("pending", 1)  # the attempt is counted
    lease_end = _value(database, "next_attempt_at")
    sandbox.clear_faults()

    worker = _start([*WORKER, "--interval", "0.1"], env)
    try:
        _wait_for(lambda: _sent(database) == 1, 20)
    finally:
        worker.terminate()
        worker.communicate(timeout=10)

    assert _value(database, "sent_at") >= lease_end  # taken again only after the lease
    [(_, state, attempts, _, email_id)] = _rows(database)
    [email] = sandbox.emails
    assert (state, attempts, email_id) == ("sent", 2, email.id)
    sends = [r for r in sandbox.requests if r.path == "/v1/email/send/"]
    assert [r.headers["Idempotency-Key"] for r in sends] == [key, key]  # the repeat was replayed


def test_the_admin_lists_the_outbox_without_content(pg: dict[str, str]) -> None:
    pages = _scenario("admin", {**pg, "NOTIFIEDBY_OUTBOX_DELIVERY": "workers"})
    for page in pages.values():
        assert page["status"] == 200
        assert "listed@example.com" in page["html"]
        assert SECRET_BODY not in page["html"]
        assert "gAAAAA" not in page["html"]  # nor the encrypted token (a Fernet token's start)
    # The list shows the start of the last error; the change page shows all of it.
    assert "last error" in pages["changelist"]["html"].lower()
    assert "NotifiedByServerError: overloaded" in pages["changelist"]["html"]
    assert "overloaded " * 20 not in pages["changelist"]["html"]
    assert ("overloaded " * 20).strip() in pages["change"]["html"]
