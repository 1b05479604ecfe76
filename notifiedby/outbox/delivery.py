"""Put messages in the outbox, and deliver them: claim a row, send it, record the outcome.

Each row is sent in its own transaction, holding its row lock for the send. On PostgreSQL
(and other databases that can ``SELECT ... FOR UPDATE SKIP LOCKED``) several workers can
drain one outbox: each skips the rows another holds. A worker that dies mid-send releases
its lock with its connection; the row is still pending and is sent again with the same
Idempotency-Key, which the API answers without sending a second email. SQLite has no row
locks: run one worker there.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

import attrs
from django.db import connections, transaction
from django.utils import timezone

from notifiedby.client import NotifiedByClient, get_default_client
from notifiedby.conf import get_setting, to_max_retries
from notifiedby.exceptions import NotifiedByAPIError, NotifiedByConfigError, NotifiedByError
from notifiedby.outbox.crypto import decrypt, encrypt, load_keys
from notifiedby.resources.email import send_email

if TYPE_CHECKING:
    from notifiedby._mapping import EmailPayload
    from notifiedby.models import OutboxMessage

__all__ = ["MAX_ATTEMPTS", "RetryPolicy", "deliver", "enqueue", "is_permanent"]

logger = logging.getLogger("notifiedby.outbox")

MAX_ATTEMPTS: Final = "NOTIFIEDBY_OUTBOX_MAX_ATTEMPTS"
DEFAULT_MAX_ATTEMPTS: Final[int] = 25


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
    if not isinstance(error, NotifiedByAPIError):
        return False
    status = error.status_code
    return status is None or (400 <= status < 500 and status != 429)


def deliver(
    ids: Iterable[int] | None = None,
    *,
    limit: int | None = None,
    client: NotifiedByClient | None = None,
    policy: RetryPolicy | None = None,
    using: str = "default",
) -> Counter[str]:
    """Send due pending messages (only ``ids`` if given, at most ``limit``); return how
    many were ``sent``, ``failed`` (for good) and ``deferred`` (to be tried again)."""
    policy = policy or RetryPolicy()
    chosen = None if ids is None else list(ids)
    cipher = load_keys()
    outcomes: Counter[str] = Counter()
    while limit is None or outcomes.total() < limit:
        with transaction.atomic(using=using):
            row = _claim(chosen, using)
            if row is None:
                break
            outcome = _send(row, client or get_default_client(), cipher, policy)
            row.save(using=using)
        outcomes[outcome] += 1
    return outcomes


def _claim(ids: list[int] | None, using: str) -> OutboxMessage | None:
    from notifiedby.models import OutboxMessage

    due = OutboxMessage.objects.using(using).filter(
        state=OutboxMessage.PENDING, next_attempt_at__lte=timezone.now()
    )
    if ids is not None:
        due = due.filter(pk__in=ids)
    if connections[using].features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True)
    row: OutboxMessage | None = due.order_by("next_attempt_at", "pk").first()
    return row


def _send(row: OutboxMessage, client: NotifiedByClient, cipher: Any, policy: RetryPolicy) -> str:
    """Make one attempt at ``row`` and update it (unsaved); return the outcome's name."""
    row.attempts += 1
    try:
        answer = send_email(
            client,
            recipient=row.recipient,
            idempotency_key=row.idempotency_key,
            **decrypt(cipher, row.payload),
        )
    except NotifiedByConfigError:
        raise  # every row would fail alike: the settings need fixing, not the row
    except NotifiedByError as exc:
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if is_permanent(exc) or row.attempts >= policy.attempts_allowed():
            row.state = row.FAILED
            logger.warning("Outbox message %s failed for good: %s", row.pk, row.last_error)
            return "failed"
        row.next_attempt_at = timezone.now() + policy.delay(row.attempts)
        logger.info("Outbox message %s deferred after attempt %d", row.pk, row.attempts)
        return "deferred"
    row.email_id = str(answer.get("id") or "")
    row.sent_at = timezone.now()
    if answer.get("error"):  # a blocked recipient: accepted, never delivered
        row.state, row.last_error = row.FAILED, f"Refused by the API: {answer['error']}"
        return "failed"
    row.state, row.last_error = row.SENT, ""
    return "sent"
