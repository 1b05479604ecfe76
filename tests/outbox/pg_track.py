"""Tracking scenarios that tests/outbox/test_postgres_tracking.py runs on PostgreSQL.

``python -m tests.outbox.pg_track SCENARIO [ARG...]``, with ``DJANGO_SETTINGS_MODULE`` set to
``tests.outbox.pg_settings``, writes one JSON object on stdout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from tests.outbox.pg_run import admin_pages, main


def _send_through_the_outbox(addresses: list[str]) -> None:
    from django.core import mail
    from django.db import transaction

    from notifiedby.outbox import deliver

    messages = [mail.EmailMessage("Hi", "Body", to=[address]) for address in addresses]
    with transaction.atomic(), mail.get_connection() as connection:
        connection.send_messages(messages)
    deliver()


def _collect() -> list[dict[str, Any]]:
    """Connect a receiver; return the list it fills with each event's main attributes."""
    from notifiedby.signals import tracking

    seen: list[dict[str, Any]] = []
    lock = threading.Lock()

    def receiver(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
        with lock:
            seen.append({"type": event.event_type, "id": event.message_id, "to": event.recipient})

    tracking.connect(receiver, weak=False)
    return seen


def _poller(at: datetime, **options: Any) -> Any:
    from notifiedby.tracking.poller import Poller

    return Poller(clock=lambda: at, rate=1000.0, **options)


def _rows() -> list[list[Any]]:
    from notifiedby.models import TrackedEmail

    rows = TrackedEmail.objects.order_by("recipient").values_list(
        "recipient", "status", "checks", "outbox_message__recipient"
    )
    return [list(row) for row in rows]


def outcomes(*addresses: str) -> dict[str, Any]:
    """Send to ``addresses`` through the outbox; poll a minute later and again a day later."""
    from django.utils import timezone

    seen = _collect()
    _send_through_the_outbox(list(addresses))
    now = timezone.now()
    first = _poller(now + timedelta(minutes=1, seconds=5)).poll()
    again = _poller(now + timedelta(days=1)).poll()
    return {"first": dict(first), "again": dict(again), "events": seen, "rows": _rows()}


def give_up(address: str) -> dict[str, Any]:
    """Send to ``address`` (pending for good); poll every 6 hours for 4 days."""
    from django.utils import timezone

    seen = _collect()
    _send_through_the_outbox([address])
    now = timezone.now()
    for hours in range(6, 97, 6):
        _poller(now + timedelta(hours=hours)).poll()
    return {"events": seen, "rows": _rows()}


def two_pollers(count: str) -> dict[str, Any]:
    """Send ``count`` emails; two pollers, each in its own thread and connection, check them."""
    from django.db import connections
    from django.utils import timezone

    seen = _collect()
    _send_through_the_outbox([f"user{n}@example.com" for n in range(int(count))])
    at = timezone.now() + timedelta(minutes=2)
    counts: list[dict[str, int]] = []

    def run() -> None:
        try:
            counts.append(dict(_poller(at, batch=7, concurrency=2).poll()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"counts": counts, "events": seen, "rows": _rows()}


def admin() -> dict[str, Any]:
    """Fetch the sent emails' changelist (filtered by status, then by date) and a change page."""
    from django.utils import timezone

    from notifiedby.models import TrackedEmail

    now = timezone.now()
    for address, status in [("ann@example.com", "delivered"), ("bob@example.com", "bounced")]:
        TrackedEmail.objects.create(
            email_id=address[:3], recipient=address, status=status, sent_at=now
        )
    base = "/admin/notifiedby/trackedemail/"
    return admin_pages(
        {
            "bounced": f"{base}?status__exact=bounced",
            "today": f"{base}?sent_at__gte={now.date().isoformat()}",
            "change": f"{base}{TrackedEmail.objects.get(status='bounced').pk}/change/",
        }
    )


SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "admin": admin,
    "outcomes": outcomes,
    "give-up": give_up,
    "two-pollers": two_pollers,
}

if __name__ == "__main__":
    main(SCENARIOS)
