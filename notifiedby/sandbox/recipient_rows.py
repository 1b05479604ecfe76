"""The store's recipients and blocked addresses, both found by address ignoring case."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from notifiedby.sandbox.database import Database, email_key, format_time

__all__ = ["RecipientRows"]


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


def _merge_flags(current: Sequence[str], extra: Iterable[str]) -> list[str]:
    merged = list(current)
    merged.extend(flag for flag in dict.fromkeys(extra) if flag not in merged)
    return merged


class RecipientRows(Database):
    """Queries of the recipients and blocked tables."""

    def find_recipient(self, email: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._one("SELECT * FROM recipients WHERE email_key = ?", (email_key(email),))
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
                        email_key(email),
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
                        email_key(email),
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
                (json.dumps(updated), format_time(self.now()), email_key(email)),
            )
            return True

    def recipients(
        self, email: str | None = None, offset: int = 0, limit: int = -1
    ) -> list[dict[str, Any]]:
        where, params = ("WHERE email_key = ?", [email_key(email)]) if email else ("", [])
        with self.lock:
            rows = self._rows(
                f"SELECT * FROM recipients {where} ORDER BY id LIMIT ? OFFSET ?",  # noqa: S608
                [*params, limit, offset],
            )
        return [_recipient(row) for row in rows]

    def count_recipients(self, email: str | None = None) -> int:
        where, params = ("WHERE email_key = ?", [email_key(email)]) if email else ("", [])
        with self.lock:
            row = self._one(f"SELECT COUNT(*) AS n FROM recipients {where}", params)  # noqa: S608
        return int(row["n"]) if row else 0

    # --- blocked addresses ----------------------------------------------------------

    def block(self, email: str) -> None:
        with self.lock:
            self._write("INSERT OR IGNORE INTO blocked (email_key) VALUES (?)", (email_key(email),))

    def unblock(self, email: str) -> None:
        with self.lock:
            self._write("DELETE FROM blocked WHERE email_key = ?", (email_key(email),))

    def is_blocked(self, email: str) -> bool:
        with self.lock:
            return (
                self._one("SELECT 1 FROM blocked WHERE email_key = ?", (email_key(email),))
                is not None
            )

    def blocked(self) -> list[str]:
        with self.lock:
            return [row["email_key"] for row in self._rows("SELECT email_key FROM blocked")]
