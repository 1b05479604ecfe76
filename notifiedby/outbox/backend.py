"""``OutboxEmailBackend``: Django email written to the outbox, delivered after commit."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ClassVar, Final

from django.db import transaction

from notifiedby.backends import NotifiedByEmailBackend
from notifiedby.conf import get_setting
from notifiedby.exceptions import NotifiedByConfigError
from notifiedby.message import NotifiedByStatus, RecipientStatus
from notifiedby.outbox.delivery import deliver, enqueue

__all__ = ["DELIVERIES", "DELIVERY", "OutboxEmailBackend", "to_delivery"]

DELIVERY: Final = "NOTIFIEDBY_OUTBOX_DELIVERY"
#: Who sends a queued message once its transaction commits: this process, right away; a
#: Celery worker, handed the row ids; or only ``manage.py notifiedby_outbox`` workers.
DELIVERIES: Final = ("process", "celery", "workers")
DEFAULT_DELIVERY: Final[str] = "process"


def to_delivery(value: Any) -> str:
    """Return one of :data:`DELIVERIES` (any case, surrounding spaces ignored)."""
    choice = value.strip().lower() if isinstance(value, str) else value
    if choice not in DELIVERIES:
        raise ValueError(f"must be one of {', '.join(map(repr, DELIVERIES))}, got {value!r}")
    return str(choice)


class OutboxEmailBackend(NotifiedByEmailBackend):
    """Queue each message in the database, in the caller's transaction; after the commit,
    send it or hand it on as ``delivery`` (setting ``NOTIFIEDBY_OUTBOX_DELIVERY``) says.

    ``"process"`` (the default) sends right after the commit in the same process;
    ``"celery"`` queues the ``notifiedby.drain_outbox`` task with the new row ids;
    ``"workers"`` leaves the rows to ``manage.py notifiedby_outbox``. A failed hand-off or
    send leaves the rows pending, for the next attempt of a worker.

    A message rolled back with its transaction is never sent. Each address's status is
    ``queued``; delivery keeps the message's Idempotency-Key per address. Delivery uses the
    client from the settings, since a worker can't know a per-backend ``api_key``.
    """

    #: Whether the system checks should require ``NOTIFIEDBY_OUTBOX_KEYS``.
    needs_outbox_keys: ClassVar[bool] = True

    def __init__(
        self,
        fail_silently: bool = False,
        *,
        delivery: str | None = None,
        using: str = "default",
        **kwargs: Any,
    ) -> None:
        super().__init__(fail_silently, **kwargs)
        self.delivery = get_setting(
            DELIVERY, delivery, default=DEFAULT_DELIVERY, convert=to_delivery
        )
        #: The database alias whose transaction the rows join.
        self.using = using
        self.suppression_database = using
        self._after_commit = self._hand_off()

    def open(self) -> bool:
        """Queueing needs no connection to the API: do nothing."""
        return False

    def send_message(self, message: Any) -> None:
        """Queue one row per address and set ``message.notifiedby_status`` to ``queued``;
        a suppressed address gets no row, and is ``rejected``."""
        status = message.notifiedby_status = NotifiedByStatus()
        if not self.run_pre_send(message):
            return
        payload = self.refuse_suppressed(message, self.build_payload(message))
        keys = {address: self.idempotency_key(message, address) for address in payload.recipients}
        rows = enqueue(payload, keys, using=self.using)
        for row in rows:
            status.recipients[row.recipient] = RecipientStatus(
                address=row.recipient, status="queued", idempotency_key=row.idempotency_key
            )
        if rows and self._after_commit is not None:
            # robust: the caller's data is committed; a failed delivery is the outbox's to retry.
            after = functools.partial(self._after_commit, [row.pk for row in rows])
            transaction.on_commit(after, using=self.using, robust=True)
        self.run_post_send(message)
        self.raise_for_status(message)

    def _hand_off(self) -> Callable[[list[int]], Any] | None:
        """Return what to call with the new row ids after a commit (None: nothing)."""
        if self.delivery == "process":
            return functools.partial(deliver, using=self.using)
        if self.delivery == "celery":
            try:
                from notifiedby.tasks import drain_outbox_task
            except ImportError as exc:
                msg = f"{DELIVERY} = 'celery' needs Celery: pip install 'django-notifiedby[celery]'"
                raise NotifiedByConfigError(msg) from exc
            return lambda ids: drain_outbox_task.delay(ids, using=self.using)
        return None
