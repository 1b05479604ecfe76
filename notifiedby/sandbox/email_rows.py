"""The store's emails: the sent log, and each email's settling into its delivery outcome."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from notifiedby.sandbox.database import Database, email_key, format_time

__all__ = ["EmailRows"]


class EmailRows(Database):
    """Queries of the emails table."""

    def add_email(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Store a sent email; ``fields`` holds the columns but id, sqid and created_on."""
        with self.lock:
            row = {
                **fields,
                "sqid": self._new_sqid("emails"),
                "email_key": email_key(fields["recipient"]),
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
                (email_key(address),),
            )

    def emails(
        self,
        recipient: str | None = None,
        offset: int = 0,
        limit: int = -1,
        newest_first: bool = True,
    ) -> list[sqlite3.Row]:
        where, params = ("WHERE email_key = ?", [email_key(recipient)]) if recipient else ("", [])
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
        where, params = ("WHERE email_key = ?", [email_key(recipient)]) if recipient else ("", [])
        with self.lock:
            row = self._one(f"SELECT COUNT(*) AS n FROM emails {where}", params)  # noqa: S608
        return int(row["n"]) if row else 0
