"""Ask the API where each recorded email is, on its schedule, and signal each change.

A poller leases due rows as the outbox does: a short transaction takes a batch of due rows
(``SELECT ... FOR UPDATE SKIP LOCKED`` where the database has it, so concurrent pollers take
different rows) and moves their ``next_check_at`` a lease (``NOTIFIEDBY_TRACKING_LEASE``)
ahead, which hides them from other pollers. The status requests then run in worker threads,
holding no transaction; each answer is written by a statement guarded by the row as the claim
left it (its lease and its status), and the ``tracking`` signal is sent only when that write
changed the status. So a status change is signalled once even with several pollers, and a
poller that dies mid-poll leaves its rows to be taken again when their lease ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import attrs
from django.db import transaction
from django.utils import timezone

from notifiedby import signals
from notifiedby._leases import skip_locked
from notifiedby.bulk import imap
from notifiedby.client import NotifiedByClient, client_or_default
from notifiedby.conf import get_setting, to_count, to_seconds
from notifiedby.exceptions import (
    NotifiedByAuthError,
    NotifiedByConfigError,
    NotifiedByError,
    NotifiedByNotFoundError,
    NotifiedByRateLimitError,
)
from notifiedby.resources.email import Email
from notifiedby.tracking import settings as conf
from notifiedby.tracking.events import ESP_NAME, FINAL_STATUSES, TrackingEvent, event_type_for
from notifiedby.tracking.schedule import next_check

if TYPE_CHECKING:
    from notifiedby.tracking.models import TrackedEmail

__all__ = ["BATCH", "RETRY_DELAY", "Poller", "RateLimit", "SharedBudget"]

logger = logging.getLogger("notifiedby.tracking")

#: Rows one claim takes.
BATCH: Final = 100
#: How long an email whose check failed (an outage, a 5xx) waits before it is asked again.
RETRY_DELAY: Final = timedelta(minutes=1)
#: How long a 429 without ``Retry-After`` pauses polling.
DEFAULT_PAUSE: Final = 60.0


class _Paused(Exception):
    """A check not made because a 429 paused polling."""


@attrs.define
class SharedBudget:
    """The rate cap and a 429's pause, shared by every poller through Django's cache.

    Each request counts against the calendar second it starts in (by the wall clock, which
    pollers on other machines share); a 429 pauses every poller until the time it names.
    With a cache every poller reaches (Redis, Memcached, the database cache) the cap holds
    for all pollers together; with a cache of the process's own (``LocMemCache``, Django's
    default) it holds per poller process.
    """

    rate: float
    alias: str = "default"
    wall: Callable[[], float] = time.time

    def wait_for(self) -> float:
        """Count a request now; return 0 when it may start, else the seconds until it may."""
        from django.core.cache import caches

        cache = caches[self.alias]
        now = self.wall()
        key = f"{_CACHE_PREFIX}second:{int(now)}"
        cache.add(key, 0, timeout=_WINDOW_TTL)
        try:
            started = cache.incr(key)
        except ValueError:  # the entry expired between add() and incr()
            cache.add(key, 1, timeout=_WINDOW_TTL)
            started = 1
        return 0.0 if started <= self.rate else int(now) + 1 - now

    def pause(self, seconds: float) -> None:
        """Start no request, in any poller, for ``seconds``."""
        from django.core.cache import caches

        until = self.wall() + seconds
        caches[self.alias].set(f"{_CACHE_PREFIX}paused", until, timeout=int(seconds) + 1)

    def paused_for(self) -> float:
        """Return the seconds left of a pause any poller started (0 when not paused)."""
        from django.core.cache import caches

        until: float = caches[self.alias].get(f"{_CACHE_PREFIX}paused", 0.0)
        return max(0.0, until - self.wall())


#: Where the shared budget lives in the cache, and how long a second's count is kept.
_CACHE_PREFIX: Final = "notifiedby:tracking:"
_WINDOW_TTL: Final = 5


@attrs.define
class RateLimit:
    """Start at most ``rate`` requests per second across threads; a 429 pauses them all.

    With ``shared``, the cap and the pause also hold across pollers (:class:`SharedBudget`).
    """

    rate: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    shared: SharedBudget | None = None
    _next: float = attrs.field(init=False, default=0.0)
    _paused_until: float = attrs.field(init=False, default=0.0)
    _lock: threading.Lock = attrs.field(init=False, factory=threading.Lock)

    def wait(self) -> None:
        """Block until the next request may start; raise _Paused while polling is paused."""
        with self._lock:
            now = self.clock()
            if now < self._paused_until:
                raise _Paused
            start = max(now, self._next)
            self._next = start + 1.0 / self.rate
        if start > now:
            self.sleep(start - now)
        while self.shared is not None:
            if self.shared.paused_for():
                raise _Paused
            wait = self.shared.wait_for()
            if not wait:
                return
            self.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Start no request for ``seconds``."""
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock() + seconds)
        if self.shared is not None:
            self.shared.pause(seconds)

    def paused_for(self) -> float:
        """Return the seconds left of a pause (0 when not paused)."""
        local = max(0.0, self._paused_until - self.clock())
        return max(local, self.shared.paused_for()) if self.shared is not None else local


def _setting(name: str, default: Any, convert: Callable[[Any], Any]) -> Any:
    return get_setting(name, default=default, convert=convert)


@attrs.define(kw_only=True)
class Poller:
    """Check due tracked emails. The options not given come from the settings; ``client``
    None means the default client."""

    client: NotifiedByClient | None = None
    using: str = "default"
    concurrency: int = attrs.field(
        factory=lambda: _setting(conf.CONCURRENCY, conf.DEFAULT_CONCURRENCY, to_count)
    )
    rate: float = attrs.field(factory=lambda: _setting(conf.RATE, conf.DEFAULT_RATE, conf.to_rate))
    lease: timedelta = attrs.field(
        factory=lambda: timedelta(seconds=_setting(conf.LEASE, conf.DEFAULT_LEASE, to_seconds))
    )
    give_up: timedelta = attrs.field(
        factory=lambda: timedelta(seconds=_setting(conf.GIVE_UP, conf.DEFAULT_GIVE_UP, to_seconds))
    )
    batch: int = BATCH
    #: Returns the time now (aware); tests move it.
    clock: Callable[[], datetime] = timezone.now
    limiter: RateLimit = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.limiter = RateLimit(self.rate, shared=SharedBudget(self.rate))

    def poll(self, limit: int | None = None) -> Counter[str]:
        """Check the due emails (at most ``limit``) until none is due or a 429 pauses polling;
        return how many ended in each status, ``deferred`` (asked again later: an outage, a
        5xx, a 429) and ``expired`` (answered after the lease: not recorded)."""
        client = client_or_default(self.client)
        outcomes: Counter[str] = Counter()
        while limit is None or outcomes.total() < limit:
            if self.limiter.paused_for():
                break
            size = self.batch if limit is None else min(self.batch, limit - outcomes.total())
            claimed = self._claim(size)
            if not claimed:
                break
            results = imap(
                lambda row: self._ask(client, row), claimed, concurrency=self.concurrency
            )
            for result in results:
                outcomes[self._record(result.item, result.value, result.error)] += 1
        return outcomes

    def _claim(self, size: int) -> list[TrackedEmail]:
        """Lease up to ``size`` due rows and commit; return them as the claim left them."""
        from notifiedby.tracking.models import TrackedEmail

        with transaction.atomic(using=self.using):
            now = self.clock()
            due = TrackedEmail.objects.using(self.using).filter(next_check_at__lte=now)
            rows = list(skip_locked(due, self.using).order_by("next_check_at", "pk")[:size])
            until = now + self.lease
            ids = [row.pk for row in rows]
            TrackedEmail.objects.using(self.using).filter(pk__in=ids).update(next_check_at=until)
        for row in rows:
            row.next_check_at = until
        return rows

    def _ask(self, client: NotifiedByClient, row: TrackedEmail) -> dict[str, Any]:
        """Return the API's answer about ``row`` (in a worker thread: no database here)."""
        self.limiter.wait()
        try:
            return Email.objects.using(client).delivery(row.email_id)
        except NotifiedByRateLimitError as exc:
            # Paused here, in the worker, so the other workers stop before their next request.
            self.limiter.pause(exc.retry_after or DEFAULT_PAUSE)
            raise

    def _record(
        self, row: TrackedEmail, answer: dict[str, Any] | None, error: Exception | None
    ) -> str:
        """Write what the check of ``row`` found; signal a changed status; return the outcome."""
        from notifiedby.tracking.models import TrackedEmail

        now = self.clock()
        mine = TrackedEmail.objects.using(self.using).filter(
            pk=row.pk, next_check_at=row.next_check_at, status=row.status
        )
        if isinstance(error, (NotifiedByConfigError, NotifiedByAuthError)):
            # Every row would fail alike: hand this one back, due now, and stop.
            mine.update(next_check_at=now)
            raise error
        if isinstance(error, (_Paused, NotifiedByRateLimitError)):
            mine.update(next_check_at=now + timedelta(seconds=self.limiter.paused_for()))
            return "deferred"
        fields, esp_event = self._outcome(row, answer, error, now)
        status = fields.get("status", row.status)
        if status != row.status:
            fields["status_changed_at"] = now
        if not mine.update(**fields):
            logger.warning("Tracked email %s answered after its lease; not recorded", row.email_id)
            return "expired"
        if status != row.status:
            self._signal(row, status, fields["reason"], esp_event, now)
        return "deferred" if error is not None and status == row.status else str(status)

    def _outcome(
        self,
        row: TrackedEmail,
        answer: dict[str, Any] | None,
        error: Exception | None,
        now: datetime,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Return the fields to write after a check of ``row``, and the event's ``esp_event``."""
        from notifiedby.tracking.models import TrackedEmail

        if error is not None:
            failure = {"id": row.email_id, "error": str(error)}
            if isinstance(error, NotifiedByNotFoundError):
                reason = f"The API has no email {row.email_id} (404): {error}"
                return {**_final(TrackedEmail.UNKNOWN, reason), "checks": row.checks + 1}, failure
            # An outage or a 5xx says nothing of the email: ask again later, until the give-up.
            if now >= row.sent_at + self.give_up:
                reason = f"No answer {self.give_up} after sending; the last error: {error}"
                return _final(TrackedEmail.UNKNOWN, reason), failure
            if not isinstance(error, NotifiedByError):
                logger.error("Tracked email %s: the check failed", row.email_id, exc_info=error)
            return {"next_check_at": now + RETRY_DELAY}, failure
        answer = answer or {}
        raw = str(answer.get("status", ""))
        checks = row.checks + 1
        if raw in FINAL_STATUSES:
            return {**_final(raw, ""), "raw_status": raw, "checks": checks}, answer
        upcoming = next_check(row.sent_at, now, self.give_up)
        status, reason = TrackedEmail.PENDING, ""
        if raw != TrackedEmail.PENDING:
            status = TrackedEmail.UNKNOWN
            reason = f"The API answered a status the SDK doesn't know: {raw!r}"
        elif upcoming is None:
            status = TrackedEmail.UNKNOWN
            reason = f"Still pending {self.give_up} after sending: gave up"
        fields = {
            "status": status,
            "raw_status": raw,
            "reason": reason,
            "checks": checks,
            "next_check_at": upcoming,
        }
        return fields, answer

    def _signal(
        self, row: TrackedEmail, status: str, reason: str, esp_event: dict[str, Any], now: datetime
    ) -> None:
        """Send ``tracking`` for ``row``'s new ``status``; a failing receiver is logged, and
        the receivers after it miss the event (as with anymail's signal)."""
        from notifiedby.tracking.models import TrackedEmail

        event = TrackingEvent(
            event_type=event_type_for(status),
            message_id=row.email_id,
            recipient=row.recipient,
            timestamp=now,
            esp_event=esp_event,
            description=reason or None,
        )
        try:
            signals.tracking.send(sender=TrackedEmail, event=event, esp_name=ESP_NAME)
        except Exception:
            # The change is recorded, so it is not signalled again. Not send_robust(): it logs
            # on the "django" logger, whose default mail_admins handler would send an email
            # that is tracked in turn, and a receiver that keeps failing would make a loop.
            logger.warning("A tracking receiver failed for email %s", row.email_id, exc_info=True)


def _final(status: str, reason: str) -> dict[str, Any]:
    """Return the fields of a final status: the email is not asked about again."""
    return {"status": status, "reason": reason, "next_check_at": None}
