"""Celery tasks that send, subscribe and sync off the request path (the ``celery`` extra).

Queue work with the ``*_later`` functions. Each payload is sealed with the outbox's keys
(``NOTIFIEDBY_OUTBOX_KEYS``, Fernet: the first seals, any opens), so the broker never holds
an address or a body in the clear. Each payload also
carries an idempotency key made when it is queued: a task run twice (a redelivery after a
worker died, a retry after a timeout) sends the same key, and the API acts only once.
See docs/celery.md.
"""

from __future__ import annotations

import functools
import itertools
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from notifiedby import bulk
from notifiedby.exceptions import NotifiedByConnectionError, NotifiedByServerError
from notifiedby.outbox.crypto import decrypt_json, encrypt, load_keys
from notifiedby.resources import Email, Flow, Recipient
from notifiedby.resources.base import clean_email, clean_flags, clean_trigger
from notifiedby.resources.email import EmailPayload
from notifiedby.tracking.record import record_sent

try:
    from celery import shared_task
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    msg = "notifiedby.tasks needs Celery: pip install 'django-notifiedby[celery]'"
    raise ImportError(msg) from exc

if TYPE_CHECKING:
    from celery.result import AsyncResult

__all__ = [
    "drain_outbox_task",
    "open_payload",
    "seal_payload",
    "send_email_later",
    "send_email_task",
    "subscribe_later",
    "subscribe_task",
    "sync_recipients_later",
    "sync_recipients_task",
    "track_deliveries_task",
]

#: Failures worth another try: the API may be back in a moment. Retries reuse the payload,
#: so they reuse its idempotency key.
RETRY_ON = (NotifiedByConnectionError, NotifiedByServerError)
#: Recipients per sync task.
SYNC_CHUNK = 500


#: Why a task fails when no key opens its payload, and what to do about it.
_UNOPENED: Final = (
    "A queued NotifiedBy payload was not sealed with any NOTIFIEDBY_OUTBOX_KEYS key "
    "(or was altered); keep retired keys in the list until their tasks have run."
)


def seal_payload(payload: dict[str, Any]) -> str:
    """Return ``payload`` as JSON sealed with the first NOTIFIEDBY_OUTBOX_KEYS key."""
    return encrypt(load_keys(), payload).decode("ascii")


def open_payload(token: str) -> dict[str, Any]:
    """Return the payload sealed in ``token``; NotifiedByConfigError if no key opens it."""
    return decrypt_json(load_keys(), token.encode("ascii"), unopened=_UNOPENED)


# --- tasks: each opens its payload and makes the one call, through the default client -------

# A task that calls the API once retries what may pass (a 5xx, a dropped connection) with
# backoff; the idempotency key in its payload keeps a retried send from going out twice.
_retrying_task = functools.partial(
    shared_task, acks_late=True, autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5
)


@_retrying_task(name="notifiedby.send_email")
def send_email_task(token: str) -> dict[str, Any]:
    """Send the sealed email; return the API's answer (``{"id": ...}``, plus ``error`` when
    the recipient is blocked)."""
    fields = open_payload(token)
    recipient = fields.pop("recipient")
    key = fields.pop("idempotency_key", None)
    payload = EmailPayload(recipients=(recipient,), **fields)
    result = Email.objects.send_payload(payload, recipient, idempotency_key=key)
    if not result.blocked:
        record_sent(result.email_id, recipient, subject=payload.subject)
    return result.answer


@_retrying_task(name="notifiedby.subscribe")
def subscribe_task(token: str) -> dict[str, Any]:
    """Subscribe the sealed recipient to its flow; return the API's answer."""
    return Flow.objects.subscribe(**open_payload(token))


@shared_task(name="notifiedby.sync_recipients", acks_late=True)
def sync_recipients_task(token: str, concurrency: int = bulk.DEFAULT_CONCURRENCY) -> dict[str, Any]:
    """Upsert the sealed list of recipients; return counts and the addresses that failed.

    Upserts are idempotent, so a redelivered chunk does no harm; failed items are reported,
    not retried, because most are bad input.
    """
    items = open_payload(token)["recipients"]
    summary = Recipient.objects.bulk_upsert(items, concurrency=concurrency)
    failed = [str(f.item.get("email", "")) for f in summary.failures]
    return {"ok": summary.ok, "failed": summary.failed, "failed_emails": failed}


@shared_task(name="notifiedby.drain_outbox", acks_late=True)
def drain_outbox_task(
    ids: list[int] | None = None, limit: int | None = None, using: str = "default"
) -> dict[str, int]:
    """Deliver due outbox messages (only ``ids`` if given) from database ``using``; return
    the counts by outcome.

    The task carries row ids only: the content stays encrypted in the database, and the
    outbox's row claiming keeps two workers from sending one message. The outbox backend
    queues it after each commit when ``NOTIFIEDBY_OUTBOX_DELIVERY = "celery"``.
    """
    from notifiedby.outbox import deliver

    return dict(deliver(ids, limit=limit, using=using))


@shared_task(name="notifiedby.track_deliveries", acks_late=True)
def track_deliveries_task(limit: int | None = None, using: str = "default") -> dict[str, int]:
    """Check the due delivery statuses (at most ``limit``) in database ``using``; return the
    counts by outcome. Schedule it with Celery beat, every minute or so; runs that overlap
    take different rows (see docs/tracking.md)."""
    from notifiedby.tracking.poller import Poller

    return dict(Poller(using=using).poll(limit=limit))


# --- queueing ---------------------------------------------------------------------------


def send_email_later(
    *,
    recipient: str,
    subject: str,
    body: str,
    plain_body: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    flags: Iterable[str] | None = None,
    use_account_template: bool | None = None,
) -> AsyncResult[Any]:
    """Queue one email for a worker to send (attachments: use the email backend)."""
    address = clean_email(recipient, "recipient")
    payload = EmailPayload(
        recipients=(address,),
        subject=subject,
        body=body,
        plain_body=plain_body,
        first_name=first_name,
        last_name=last_name,
        flags=flags,
        use_account_template=use_account_template,
    )
    fields = {"recipient": address, **payload.send_kwargs(), "idempotency_key": uuid.uuid4().hex}
    return send_email_task.delay(seal_payload(fields))


def subscribe_later(
    flow_trigger: str,
    email: str,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    flags: Iterable[str] | None = None,
) -> AsyncResult[Any]:
    """Queue a flow subscription for a worker to make."""
    payload = {
        "flow_trigger": clean_trigger(flow_trigger),
        "email": clean_email(email),
        "first_name": first_name,
        "last_name": last_name,
        "flags": None if flags is None else clean_flags(flags),
        "idempotency_key": uuid.uuid4().hex,
    }
    return subscribe_task.delay(seal_payload(payload))


def sync_recipients_later(
    recipients: Iterable[dict[str, Any]], *, chunk_size: int = SYNC_CHUNK
) -> list[AsyncResult[Any]]:
    """Queue upserts for ``recipients`` (dicts as ``bulk_upsert`` takes), one task per chunk.

    The input is read a chunk at a time, so any number of recipients can be queued.
    """
    iterator = iter(recipients)
    results = []
    while chunk := list(itertools.islice(iterator, chunk_size)):
        results.append(sync_recipients_task.delay(seal_payload({"recipients": chunk})))
    return results
