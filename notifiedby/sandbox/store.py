"""The sandbox's state: one SQLite database, in memory or in a file.

Every method takes the store's lock, so the threaded server can share one connection. A
statement commits on its own unless it runs inside :meth:`Store.transaction`, which the API
holds around each call so that its writes and its idempotency record commit together. Rows
come back as the dicts the API shows; the HTTP layer adds nothing but pagination.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["Store", "format_time"]

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


def _create_private(path: str) -> None:
    """Create the database file readable by its owner only: it may hold email bodies.

    SQLite gives its journal the database file's mode. A file that exists keeps its mode.
    """
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _key(email: str) -> str:
    return email.casefold()


def _recipient(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "sqid": row["sqid"],
        "email": row["email"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "flags": json.loads(row["flags"]),
        "has_been_sent_email": bool(row["has_been_sent_email"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _subscription(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "flow_name": row["flow_name"],
        "flow_trigger": row["flow_trigger"],
        "recipient_email": row["recipient_email"],
        "status": row["status"],
        "current_step_order": row["current_step_order"],
        "next_send_date": row["next_send_date"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _merge_flags(current: Sequence[str], extra: Iterable[str]) -> list[str]:
    merged = list(current)
    merged.extend(flag for flag in dict.fromkeys(extra) if flag not in merged)
    return merged


class Store:
    """The sandbox's data, behind one lock."""

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

    # --- flows ----------------------------------------------------------------------

    def define_flow(self, trigger: str, name: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
        with self.lock:
            self._write(
                "INSERT OR REPLACE INTO flows (trigger, name, steps) VALUES (?, ?, ?)",
                (trigger, name, json.dumps(steps)),
            )
        return {"trigger": trigger, "name": name, "steps": steps}

    def get_flow(self, trigger: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._one("SELECT * FROM flows WHERE trigger = ?", (trigger,))
        if row is None:
            return None
        return {"trigger": row["trigger"], "name": row["name"], "steps": json.loads(row["steps"])}

    def flows(self) -> list[dict[str, Any]]:
        with self.lock:
            triggers = [row["trigger"] for row in self._rows("SELECT trigger FROM flows")]
            return [flow for trigger in triggers if (flow := self.get_flow(trigger))]

    # --- recipients -----------------------------------------------------------------

    def find_recipient(self, email: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._one("SELECT * FROM recipients WHERE email_key = ?", (_key(email),))
        return None if row is None else _recipient(row)

    def upsert_recipient(
        self,
        email: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        flags: Iterable[str] = (),
        sent_email: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """Create or update a recipient; names given replace, flags given are added.

        Return the recipient and whether it was created.
        """
        with self.lock:
            now = format_time(self.now())
            current = self.find_recipient(email)
            if current is None:
                self._write(
                    "INSERT INTO recipients (sqid, email, email_key, first_name, last_name, flags,"
                    " has_been_sent_email, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        self._new_sqid("recipients"),
                        email,
                        _key(email),
                        first_name or "",
                        last_name or "",
                        json.dumps(_merge_flags([], flags)),
                        int(sent_email),
                        now,
                        now,
                    ),
                )
            else:
                self._write(
                    "UPDATE recipients SET first_name = ?, last_name = ?, flags = ?,"
                    " has_been_sent_email = ?, updated_at = ? WHERE email_key = ?",
                    (
                        current["first_name"] if first_name is None else first_name,
                        current["last_name"] if last_name is None else last_name,
                        json.dumps(_merge_flags(current["flags"], flags)),
                        int(sent_email or current["has_been_sent_email"]),
                        now,
                        _key(email),
                    ),
                )
            recipient = self.find_recipient(email)
            assert recipient is not None
            return recipient, current is None

    def change_flags(self, email: str, flags: Sequence[str], *, add: bool) -> bool:
        """Add or remove flags; return False when there is no such recipient."""
        with self.lock:
            current = self.find_recipient(email)
            if current is None:
                return False
            if add:
                updated = _merge_flags(current["flags"], flags)
            else:
                updated = [flag for flag in current["flags"] if flag not in set(flags)]
            self._write(
                "UPDATE recipients SET flags = ?, updated_at = ? WHERE email_key = ?",
                (json.dumps(updated), format_time(self.now()), _key(email)),
            )
            return True

    def recipients(
        self, email: str | None = None, offset: int = 0, limit: int = -1
    ) -> list[dict[str, Any]]:
        where, params = ("WHERE email_key = ?", [_key(email)]) if email else ("", [])
        with self.lock:
            rows = self._rows(
                f"SELECT * FROM recipients {where} ORDER BY id LIMIT ? OFFSET ?",  # noqa: S608
                [*params, limit, offset],
            )
        return [_recipient(row) for row in rows]

    def count_recipients(self, email: str | None = None) -> int:
        where, params = ("WHERE email_key = ?", [_key(email)]) if email else ("", [])
        with self.lock:
            row = self._one(f"SELECT COUNT(*) AS n FROM recipients {where}", params)  # noqa: S608
        return int(row["n"]) if row else 0

    # --- blocked addresses ----------------------------------------------------------

    def block(self, email: str) -> None:
        with self.lock:
            self._write("INSERT OR IGNORE INTO blocked (email_key) VALUES (?)", (_key(email),))

    def unblock(self, email: str) -> None:
        with self.lock:
            self._write("DELETE FROM blocked WHERE email_key = ?", (_key(email),))

    def is_blocked(self, email: str) -> bool:
        with self.lock:
            return (
                self._one("SELECT 1 FROM blocked WHERE email_key = ?", (_key(email),)) is not None
            )

    def blocked(self) -> list[str]:
        with self.lock:
            return [row["email_key"] for row in self._rows("SELECT email_key FROM blocked")]

    # --- emails ---------------------------------------------------------------------

    def add_email(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Store a sent email; ``fields`` holds the columns but id, sqid and created_on."""
        with self.lock:
            row = {
                **fields,
                "sqid": self._new_sqid("emails"),
                "email_key": _key(fields["recipient"]),
                "created_on": format_time(self.now()),
            }
            columns = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            self._write(
                f"INSERT INTO emails ({columns}) VALUES ({marks})",  # noqa: S608
                list(row.values()),
            )
            return row

    def sent_since(self, moment: datetime) -> int:
        with self.lock:
            row = self._one(
                "SELECT COUNT(*) AS n FROM emails WHERE created_on >= ?", (format_time(moment),)
            )
        return int(row["n"]) if row else 0

    def find_email(self, sqid: str) -> sqlite3.Row | None:
        with self.lock:
            return self._one("SELECT * FROM emails WHERE sqid = ?", (sqid,))

    def latest_email(self, address: str) -> sqlite3.Row | None:
        with self.lock:
            return self._one(
                "SELECT * FROM emails WHERE email_key = ? ORDER BY id DESC LIMIT 1",
                (_key(address),),
            )

    def emails(
        self,
        recipient: str | None = None,
        offset: int = 0,
        limit: int = -1,
        newest_first: bool = True,
    ) -> list[sqlite3.Row]:
        where, params = ("WHERE email_key = ?", [_key(recipient)]) if recipient else ("", [])
        order = "DESC" if newest_first else "ASC"
        with self.lock:
            return self._rows(
                f"SELECT * FROM emails {where} ORDER BY id {order} LIMIT ? OFFSET ?",  # noqa: S608
                [*params, limit, offset],
            )

    def settle_deliveries(self, moment: datetime) -> list[sqlite3.Row]:
        """Give pending emails due by ``moment`` their outcome; return those rows."""
        with self.lock:
            due = self._rows(
                "SELECT * FROM emails WHERE status = 'pending' AND deliver_at <= ? ORDER BY id",
                (format_time(moment),),
            )
            self._write(
                "UPDATE emails SET status = outcome WHERE status = 'pending' AND deliver_at <= ?",
                (format_time(moment),),
            )
            return due

    def next_delivery(self) -> str | None:
        """When the next pending email settles, or None."""
        with self.lock:
            row = self._one("SELECT MIN(deliver_at) AS at FROM emails WHERE status = 'pending'")
        return None if row is None else row["at"]

    def count_emails(self, recipient: str | None = None) -> int:
        where, params = ("WHERE email_key = ?", [_key(recipient)]) if recipient else ("", [])
        with self.lock:
            row = self._one(f"SELECT COUNT(*) AS n FROM emails {where}", params)  # noqa: S608
        return int(row["n"]) if row else 0

    # --- subscriptions --------------------------------------------------------------

    def active_subscription(self, email: str, trigger: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._one(
                "SELECT * FROM subscriptions WHERE email_key = ? AND flow_trigger = ?"
                " AND status = 'active'",
                (_key(email), trigger),
            )
        return None if row is None else _subscription(row)

    def add_subscription(self, email: str, flow: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            now = format_time(self.now())
            cursor = self._write(
                "INSERT INTO subscriptions (flow_trigger, flow_name, recipient_email, email_key,"
                " status, current_step_order, next_send_date, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, 'active', 1, ?, ?, ?)",
                (flow["trigger"], flow["name"], email, _key(email), now, now, now),
            )
            row = self._one("SELECT * FROM subscriptions WHERE id = ?", (cursor.lastrowid,))
            assert row is not None
            return _subscription(row)

    def move_subscription(
        self, subscription_id: int, step: int, next_send_date: datetime | None, status: str
    ) -> None:
        with self.lock:
            self._write(
                "UPDATE subscriptions SET current_step_order = ?, next_send_date = ?, status = ?,"
                " updated_at = ? WHERE id = ?",
                (
                    step,
                    None if next_send_date is None else format_time(next_send_date),
                    status,
                    format_time(self.now()),
                    subscription_id,
                ),
            )

    def next_due_subscription(self) -> dict[str, Any] | None:
        """The active subscription due first (the oldest, at equal times)."""
        with self.lock:
            row = self._one(
                "SELECT * FROM subscriptions WHERE status = 'active'"
                " ORDER BY next_send_date, id LIMIT 1"
            )
        return None if row is None else _subscription(row)

    def subscriptions_on_step(self, trigger: str, step: int) -> list[dict[str, Any]]:
        """The active subscriptions to a flow that are on one step."""
        with self.lock:
            rows = self._rows(
                "SELECT * FROM subscriptions WHERE status = 'active' AND flow_trigger = ?"
                " AND current_step_order = ? ORDER BY id",
                (trigger, step),
            )
        return [_subscription(row) for row in rows]

    def cancel_subscription(self, subscription_id: int) -> None:
        with self.lock:
            self._write(
                "UPDATE subscriptions SET status = 'cancelled', next_send_date = NULL,"
                " updated_at = ? WHERE id = ?",
                (format_time(self.now()), subscription_id),
            )

    def _subscription_filter(self, email: str | None, trigger: str | None) -> tuple[str, list[Any]]:
        clauses, params = [], []
        if email:
            clauses.append("email_key = ?")
            params.append(_key(email))
        if trigger:
            clauses.append("flow_trigger = ?")
            params.append(trigger)
        return ("WHERE " + " AND ".join(clauses) if clauses else ""), params

    def subscriptions(
        self, email: str | None = None, trigger: str | None = None, offset: int = 0, limit: int = -1
    ) -> list[dict[str, Any]]:
        where, params = self._subscription_filter(email, trigger)
        with self.lock:
            rows = self._rows(
                f"SELECT * FROM subscriptions {where} ORDER BY id LIMIT ? OFFSET ?",  # noqa: S608
                [*params, limit, offset],
            )
        return [_subscription(row) for row in rows]

    def count_subscriptions(self, email: str | None = None, trigger: str | None = None) -> int:
        where, params = self._subscription_filter(email, trigger)
        with self.lock:
            row = self._one(f"SELECT COUNT(*) AS n FROM subscriptions {where}", params)  # noqa: S608
        return int(row["n"]) if row else 0

    def delete_subscriptions(self, email: str, trigger: str) -> int:
        where, params = self._subscription_filter(email, trigger)
        with self.lock:
            return self._write(f"DELETE FROM subscriptions {where}", params).rowcount  # noqa: S608

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
