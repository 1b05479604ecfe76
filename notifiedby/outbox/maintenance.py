"""Operations on the outbox as a whole: counts, retrying failures, purging, key rotation."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from notifiedby.outbox.crypto import load_keys

__all__ = ["counts", "purge", "retry_failed", "rotate_keys"]


def counts(*, using: str = "default") -> dict[str, int]:
    """Return the number of rows in each state (every state listed, zeros included)."""
    from notifiedby.models import OutboxMessage

    found = dict(
        OutboxMessage.objects.using(using)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return {state: found.get(state, 0) for state, _ in OutboxMessage.STATES}


def retry_failed(*, using: str = "default") -> int:
    """Make every failed row pending again, due now, with its attempts reset; return how many."""
    from notifiedby.models import OutboxMessage

    failed = OutboxMessage.objects.using(using).filter(state=OutboxMessage.FAILED)
    return int(
        failed.update(state=OutboxMessage.PENDING, attempts=0, next_attempt_at=timezone.now())
    )


def purge(state: str, *, older_than: timedelta = timedelta(0), using: str = "default") -> int:
    """Delete the rows in ``state`` created more than ``older_than`` ago; return how many."""
    from notifiedby.models import OutboxMessage

    if state not in dict(OutboxMessage.STATES):
        raise ValueError(f"state must be one of {[s for s, _ in OutboxMessage.STATES]}")
    cutoff = timezone.now() - older_than
    rows = OutboxMessage.objects.using(using).filter(state=state, created_at__lte=cutoff)
    deleted, _ = rows.delete()
    return int(deleted)


def rotate_keys(*, batch: int = 500, using: str = "default") -> int:
    """Re-encrypt every row with the first key of ``NOTIFIEDBY_OUTBOX_KEYS``; return how many.

    After it, keys other than the first can be removed from the setting.
    """
    from notifiedby.models import OutboxMessage

    cipher = load_keys()
    done, last = 0, 0
    while True:
        with transaction.atomic(using=using):
            rows = list(
                OutboxMessage.objects.using(using)
                .select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")[:batch]
            )
            if not rows:
                return done
            for row in rows:
                row.payload = cipher.rotate(bytes(row.payload))
            OutboxMessage.objects.using(using).bulk_update(rows, ["payload"])
        done, last = done + len(rows), rows[-1].pk
