"""Sending into the store and settling delivery: every email starts ``pending``.

A sent email is delivered ``delivery_delay`` seconds of sandbox time after it was sent, or
meets the outcome its address asks for. The magic local parts (a ``+tag`` may follow them):

- ``bounce@...`` -> ``bounced``, and the address becomes blocked;
- ``complaint@...`` -> ``complained``, and the address becomes blocked;
- ``fail@...`` -> ``failed``.

A send to a blocked address is ``failed`` at once. Outcomes settle lazily: whoever reads
the state first settles what has fallen due, so no thread is needed.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from notifiedby.sandbox.store import Store, format_time

__all__ = ["MAGIC_OUTCOMES", "outcome_for", "record_email", "settle"]

#: Local part -> the delivery status an email to it ends with.
MAGIC_OUTCOMES = {"bounce": "bounced", "complaint": "complained", "fail": "failed"}
#: Outcomes after which the service stops sending to the address.
_BLOCKING = ("bounced", "complained")


def outcome_for(address: str) -> str:
    """Return the final delivery status of an email to ``address``."""
    local = address.rpartition("@")[0].partition("+")[0].casefold()
    return MAGIC_OUTCOMES.get(local, "delivered")


def record_email(
    store: Store,
    *,
    recipient: str,
    subject: str,
    content: bytes,
    encrypted: bool,
    delay: float,
    first_name: str | None = None,
    last_name: str | None = None,
    flags: list[str] | None = None,
    use_account_template: bool = True,
    idempotency_key: str | None = None,
    flow_trigger: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store one sent email, pending unless the address is blocked.

    The recipient is created or updated with the names and flags given. Return the stored
    row and whether the address was blocked.
    """
    with store.transaction():
        blocked = store.is_blocked(recipient)
        store.upsert_recipient(
            recipient,
            first_name=first_name,
            last_name=last_name,
            flags=flags or [],
            sent_email=True,
        )
        row = store.add_email(
            {
                "recipient": recipient,
                "subject": subject,
                "encrypted": int(encrypted),
                "content": content,
                "first_name": first_name,
                "last_name": last_name,
                "flags": json.dumps(flags or []),
                "use_account_template": int(use_account_template),
                "status": "failed" if blocked else "pending",
                "outcome": "failed" if blocked else outcome_for(recipient),
                "deliver_at": format_time(store.now() + timedelta(seconds=delay)),
                "ses_id": None if blocked else f"0100{secrets.token_hex(16)}-000000",
                "blocked": int(blocked),
                "idempotency_key": idempotency_key,
                "flow_trigger": flow_trigger,
            }
        )
    return row, blocked


def settle(store: Store, until: datetime | None = None) -> None:
    """Give every pending email due by ``until`` (default: now) its outcome."""
    with store.transaction():
        for row in store.settle_deliveries(until or store.now()):
            if row["outcome"] in _BLOCKING:
                store.block(row["recipient"])
