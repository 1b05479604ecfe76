"""Put messages in the outbox, and deliver them: claim a row, send it, record the outcome.

Delivery leases each row. A short transaction claims a due row (``SELECT ... FOR UPDATE SKIP
LOCKED`` where the database has it, so concurrent workers take different rows), counts the
attempt and moves ``next_attempt_at`` a lease (``NOTIFIEDBY_OUTBOX_LEASE``) ahead, which
hides the row from other workers. The send holds no transaction and no lock. A second short
statement records the outcome, only if the row is still as the claim left it. A worker that
dies mid-send leaves the row pending with the attempt counted: after the lease another worker
sends it again with the same Idempotency-Key (the API answers without sending a second
email), and a row whose attempts run out is marked failed. SQLite has no row locks: run one
worker there.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import attrs
from django.db import transaction
from django.utils import timezone

from notifiedby._leases import skip_locked
from notifiedby.client import NotifiedByClient, client_or_default
from notifiedby.conf import get_setting, to_max_retries, to_seconds
from notifiedby.exceptions import (
    NotifiedByAPIError,
    NotifiedByConfigError,
    NotifiedByError,
    NotifiedByInvalidArgument,
)
from notifiedby.outbox.crypto import decrypt, encrypt, load_keys
from notifiedby.resources.email import Email, EmailPayload
from notifiedby.tracking.record import record_sent

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from notifiedby.models import OutboxMessage

__all__ = ["LEASE", "MAX_ATTEMPTS", "RetryPolicy", "deliver", "enqueue", "is_permanent"]

logger = logging.getLogger("notifiedby.outbox")

MAX_ATTEMPTS: Final = "NOTIFIEDBY_OUTBOX_MAX_ATTEMPTS"
DEFAULT_MAX_ATTEMPTS: Final[int] = 25
LEASE: Final = "NOTIFIEDBY_OUTBOX_LEASE"
#: Seconds a claimed row stays hidden from other workers. It must exceed the longest send,
#: the client's deadline (``NotifiedByClient.deadline``): by default 165 s, from 3 tries of
#: (5 s connect + 30 s read) and 2 waits of at most 30 s. The system check notifiedby.W002
#: warns when it does not.
DEFAULT_LEASE: Final[float] = 300.0


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When to try a message again: exponential backoff with jitter, then give up."""

    #: Seconds before the second attempt, doubling after each failure up to ``maximum``.
    base: float = 30.0
    maximum: float = 3600.0
    #: Attempts before a transiently failing message is marked failed; None: the setting
    #: ``NOTIFIEDBY_OUTBOX_MAX_ATTEMPTS``, default 25 (about a day with the default delays).
    max_attempts: int | None = None

    def attempts_allowed(self) -> int:
        if self.max_attempts is not None:
            return self.max_attempts
        return get_setting(MAX_ATTEMPTS, default=DEFAULT_MAX_ATTEMPTS, convert=to_max_retries)

    def delay(self, attempts: int) -> timedelta:
        """Return the wait after failed attempt number ``attempts`` (half to all of the
        exponential value, so workers that failed together spread out)."""
        seconds = min(self.maximum, self.base * 2 ** (attempts - 1))
        return timedelta(seconds=seconds * random.uniform(0.5, 1.0))


def enqueue(
    payload: EmailPayload, keys: Mapping[str, str], *, using: str = "default"
) -> list[OutboxMessage]:
    """Store one encrypted row per address of ``payload`` in the current transaction.

    ``keys`` gives each address its Idempotency-Key; a key already in the outbox (the same
    message queued again) is not queued twice.
    """
    from notifiedby.models import OutboxMessage

    content = payload.send_kwargs()
    token = encrypt(load_keys(), content)
    now = timezone.now()
    rows = []
    for address in payload.recipients:
        row, _ = OutboxMessage.objects.using(using).get_or_create(
            idempotency_key=keys[address],
            defaults={"recipient": address, "payload": token, "next_attempt_at": now},
        )
        rows.append(row)
    return rows


def is_permanent(error: NotifiedByError) -> bool:
    """Return whether sending again can't help: a 4xx other than 429, or input the SDK
    refused before sending. Outages, 5xx, 429 and lost connections are transient."""
    if isinstance(error, NotifiedByInvalidArgument):
        return True
    if not isinstance(error, NotifiedByAPIError) or error.status_code is None:
        return False
    return 400 <= error.status_code < 500 and error.status_code != 429


def deliver(
    ids: Iterable[int] | None = None,
    *,
    limit: int | None = None,
    client: NotifiedByClient | None = None,
    policy: RetryPolicy | None = None,
    using: str = "default",
) -> Counter[str]:
    """Send due pending messages (only ``ids`` if given, at most ``limit``); return how
    many were ``sent``, ``failed`` (for good), ``deferred`` (to be tried again) and
    ``expired`` (answered after the lease ran out: the outcome was not recorded, as another
    worker or an operator had taken the row meanwhile)."""
    policy = policy or RetryPolicy()
    chosen = None if ids is None else list(ids)
    cipher = load_keys()
    lease = timedelta(seconds=get_setting(LEASE, default=DEFAULT_LEASE, convert=to_seconds))
    allowed = policy.attempts_allowed()
    outcomes: Counter[str] = Counter()
    while limit is None or outcomes.total() < limit:
        claim = _claim(chosen, lease, allowed, using)
        if claim is None:
            break
        row, until = claim
        if row.state == row.FAILED:
            outcomes["failed"] += 1
            continue
        try:
            outcome = _send(row, client_or_default(client), cipher, policy)
        except NotifiedByConfigError as exc:
            # Every row would fail alike: the settings need fixing, not the row, so the row
            # is handed back, due as before, without the attempt counted.
            _claimed(row, until, using).update(
                attempts=row.attempts - 1,
                next_attempt_at=row.next_attempt_at,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
            )
            raise
        if not _claimed(row, until, using).update(**{f: getattr(row, f) for f in _OUTCOME}):
            logger.warning(
                "Outbox message %s: attempt %d ended (%s) after its lease; not recorded",
                row.pk,
                row.attempts,
                outcome,
            )
            outcome = "expired"
        elif outcome == "sent":
            record_sent(
                row.email_id,
                row.recipient,
                outbox_message_id=row.pk,
                sent_at=row.sent_at,
                using=using,
            )
        outcomes[outcome] += 1
    return outcomes


#: The fields an attempt's outcome sets.
_OUTCOME: Final = ("state", "last_error", "next_attempt_at", "email_id", "sent_at")


def _claim(
    ids: list[int] | None, lease: timedelta, allowed: int, using: str
) -> tuple[OutboxMessage, datetime] | None:
    """Take the first due row and commit; return it and the end of its lease, or None.

    The row comes back with the attempt counted and its ``next_attempt_at`` as it was before
    the claim. A row whose attempts ran out (the last one recorded no outcome: its worker
    stopped mid-send) comes back marked failed instead, and is not to be sent.
    """
    from notifiedby.models import OutboxMessage

    while True:
        with transaction.atomic(using=using):
            now = timezone.now()
            due = OutboxMessage.objects.using(using).filter(
                state=OutboxMessage.PENDING, next_attempt_at__lte=now
            )
            if ids is not None:
                due = due.filter(pk__in=ids)
            row: OutboxMessage | None = (
                skip_locked(due, using).order_by("next_attempt_at", "pk").first()
            )
            if row is None:
                return None
            until = now + lease
            # Guarded by what was read: without row locks another worker may have claimed
            # the row since, and then this takes the next one.
            unchanged = _claimed(row, row.next_attempt_at, using)
            if row.attempts >= allowed:
                row.state = row.FAILED
                row.last_error = (
                    f"Gave up after {row.attempts} attempts; the last: {row.last_error}"
                )
                if unchanged.update(state=row.state, last_error=row.last_error):
                    logger.warning("Outbox message %s failed for good: %s", row.pk, row.last_error)
                    return row, until
                continue
            row.attempts += 1
            # What a worker killed mid-send leaves behind; the attempt's outcome replaces it.
            row.last_error = (
                f"Attempt {row.attempts} started at {now.isoformat()} and recorded no outcome "
                "(still sending, or its worker stopped)"
            )
            if unchanged.update(
                attempts=row.attempts, next_attempt_at=until, last_error=row.last_error
            ):
                return row, until


def _claimed(row: OutboxMessage, until: datetime, using: str) -> QuerySet[OutboxMessage]:
    """Return ``row`` as a queryset, if it is still pending with its attempts and
    ``next_attempt_at`` as this worker left them (``until``): a later claim, or an operator's
    retry, changes one of them, and then this worker's outcome must not overwrite theirs."""
    from notifiedby.models import OutboxMessage

    return OutboxMessage.objects.using(using).filter(
        pk=row.pk, state=row.PENDING, attempts=row.attempts, next_attempt_at=until
    )


def _send(row: OutboxMessage, client: NotifiedByClient, cipher: Any, policy: RetryPolicy) -> str:
    """Make one attempt at ``row`` and update it (unsaved); return the outcome's name."""
    try:
        payload = EmailPayload(recipients=(row.recipient,), **decrypt(cipher, row.payload))
        result = Email.objects.using(client).send_payload(
            payload, row.recipient, idempotency_key=row.idempotency_key
        )
    except NotifiedByConfigError:
        raise  # not the row's fault: deliver() hands the row back
    except NotifiedByError as exc:
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if is_permanent(exc) or row.attempts >= policy.attempts_allowed():
            row.state = row.FAILED
            logger.warning("Outbox message %s failed for good: %s", row.pk, row.last_error)
            return "failed"
        row.next_attempt_at = timezone.now() + policy.delay(row.attempts)
        logger.info("Outbox message %s deferred after attempt %d", row.pk, row.attempts)
        return "deferred"
    row.email_id = str(result.email_id or "")
    row.sent_at = timezone.now()
    if result.blocked:  # accepted, never delivered
        row.state, row.last_error = row.FAILED, f"Refused by the API: {result.error}"
        return "failed"
    row.state, row.last_error = row.SENT, ""
    return "sent"
