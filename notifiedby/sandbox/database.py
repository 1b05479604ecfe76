"""The store's database: one SQLite connection, in memory or in a file, behind one lock.

:class:`Database` holds the connection, the schema, the lock, transactions, the sandbox clock
and the two bookkeeping tables (settings, idempotency records). The classes that query the
data tables build on it (``recipient_rows``, ``email_rows``, ``flow_rows``), and
:class:`~notifiedby.sandbox.store.Store` joins them.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["IDEMPOTENCY_WINDOW", "Database", "email_key", "format_time"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS flows (
    trigger TEXT PRIMARY KEY, name TEXT NOT NULL, steps TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recipients (
    id INTEGER PRIMARY KEY, sqid TEXT UNIQUE NOT NULL, email TEXT NOT NULL,
    email_key TEXT UNIQUE NOT NULL, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
    flags TEXT NOT NULL, has_been_sent_email INTEGER NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocked (email_key TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, flow_trigger TEXT NOT NULL, flow_name TEXT NOT NULL,
    recipient_email TEXT NOT NULL, email_key TEXT NOT NULL, status TEXT NOT NULL,
    current_step_order INTEGER NOT NULL, next_send_date TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS emails (
    id INTEGER PRIMARY KEY, sqid TEXT UNIQUE NOT NULL, recipient TEXT NOT NULL,
    email_key TEXT NOT NULL, subject TEXT NOT NULL, encrypted INTEGER NOT NULL,
    content BLOB NOT NULL, first_name TEXT, last_name TEXT, flags TEXT NOT NULL,
    use_account_template INTEGER NOT NULL, status TEXT NOT NULL, ses_id TEXT,
    blocked INTEGER NOT NULL, created_on TEXT NOT NULL, idempotency_key TEXT,
    outcome TEXT NOT NULL, deliver_at TEXT NOT NULL, flow_trigger TEXT);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, method TEXT NOT NULL, path TEXT NOT NULL, created REAL NOT NULL,
    status INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_TABLES = ("flows", "recipients", "blocked", "subscriptions", "emails", "idempotency", "settings")

# Sqids look like the service's: short, opaque, no look-alike characters.
_SQID_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
_SQID_LENGTH = 6
IDEMPOTENCY_WINDOW = timedelta(hours=24)


def format_time(moment: datetime) -> str:
    """Render an aware datetime as the API does: ISO-8601 UTC ending in ``Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def email_key(email: str) -> str:
    """Return the key rows are found by for an address: addresses match ignoring case."""
    return email.casefold()


def _create_private(path: str) -> None:
    """Create the database file readable by its owner only: it may hold email bodies.

    SQLite gives its journal the database file's mode. A file that exists keeps its mode.
    """
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class Database:
    """The connection behind the store's lock; every public method takes the lock."""

    def __init__(self, path: str | None = None) -> None:
        self.lock = threading.RLock()
        if path is not None:
            _create_private(path)
        # No implicit transactions: a statement commits alone, or with the rest of a
        # transaction() block.
        self._db = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        self._depth = 0  # transaction() blocks open; read and changed only under the lock
        self._db.executescript(_SCHEMA)
        #: How far the sandbox clock runs ahead of the wall clock (kept in the settings).
        self.clock_offset = timedelta(seconds=self.get_setting("clock_offset", 0.0))

    def close(self) -> None:
        with self.lock:
            self._db.close()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.clock_offset

    def move_clock(self, moment: datetime) -> None:
        """Set the sandbox clock forward to ``moment``; it never goes back."""
        with self.lock:
            offset = moment - datetime.now(timezone.utc)
            if offset > self.clock_offset:
                self.clock_offset = offset
                self.set_setting("clock_offset", offset.total_seconds())

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self._db.execute(sql, params).fetchone()
        return row

    def _write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, params)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and commit everything done inside at once, or nothing on an error.

        A transaction inside another joins it.
        """
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.rollback()
                # The clock offset is kept in the settings too; go back to the committed one.
                self.clock_offset = timedelta(seconds=self.get_setting("clock_offset", 0.0))
                raise
            else:
                self._db.commit()
            finally:
                self._depth = 0

    def _new_sqid(self, table: str) -> str:
        while True:
            sqid = "".join(secrets.choice(_SQID_ALPHABET) for _ in range(_SQID_LENGTH))
            if self._one(f"SELECT 1 FROM {table} WHERE sqid = ?", (sqid,)) is None:  # noqa: S608
                return sqid

    def reset(self) -> None:
        """Forget everything: data, flows, blocked addresses, settings."""
        with self.transaction():
            for table in _TABLES:
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608
            self._db.execute("DELETE FROM sqlite_sequence")
            self.clock_offset = timedelta(0)

    # --- settings -------------------------------------------------------------------

    def get_setting(self, name: str, default: Any = None) -> Any:
        with self.lock:
            row = self._one("SELECT value FROM settings WHERE name = ?", (name,))
            return default if row is None else json.loads(row["value"])

    def set_setting(self, name: str, value: Any) -> None:
        with self.lock:
            self._write(
                "INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)",
                (name, json.dumps(value)),
            )

    # --- idempotency ----------------------------------------------------------------

    def recall(self, key: str) -> sqlite3.Row | None:
        """Return the stored answer for an idempotency key still inside its window."""
        with self.lock:
            cutoff = (self.now() - IDEMPOTENCY_WINDOW).timestamp()
            self._write("DELETE FROM idempotency WHERE created < ?", (cutoff,))
            return self._one("SELECT * FROM idempotency WHERE key = ?", (key,))

    def remember(self, key: str, method: str, path: str, status: int, body: str) -> None:
        with self.lock:
            self._write(
                "INSERT OR REPLACE INTO idempotency (key, method, path, created, status, body)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (key, method, path, self.now().timestamp(), status, body),
            )
