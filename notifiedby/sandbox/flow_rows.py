"""The store's flows and the subscriptions of recipients to them."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from notifiedby.sandbox.database import Database, email_key, format_time

__all__ = ["FlowRows"]


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


class FlowRows(Database):
    """Queries of the flows and subscriptions tables."""

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

    # --- subscriptions --------------------------------------------------------------

    def active_subscription(self, email: str, trigger: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._one(
                "SELECT * FROM subscriptions WHERE email_key = ? AND flow_trigger = ?"
                " AND status = 'active'",
                (email_key(email), trigger),
            )
        return None if row is None else _subscription(row)

    def add_subscription(self, email: str, flow: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            now = format_time(self.now())
            cursor = self._write(
                "INSERT INTO subscriptions (flow_trigger, flow_name, recipient_email, email_key,"
                " status, current_step_order, next_send_date, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, 'active', 1, ?, ?, ?)",
                (flow["trigger"], flow["name"], email, email_key(email), now, now, now),
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
            params.append(email_key(email))
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
