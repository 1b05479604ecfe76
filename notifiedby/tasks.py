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
import json
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cryptography.fernet import InvalidToken

from notifiedby import bulk
from notifiedby.exceptions import (
    NotifiedByConfigError,
    NotifiedByConnectionError,
    NotifiedByServerError,
)
from notifiedby.outbox.crypto import load_keys
from notifiedby.resources.base import clean_email, clean_trigger
from notifiedby.resources.email import send_email
from notifiedby.resources.flow import subscribe_to
from notifiedby.resources.recipient import Recipient

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
]

#: Failures worth another try: the API may be back in a moment. Retries reuse the payload,
#: so they reuse its idempotency key.
RETRY_ON = (NotifiedByConnectionError, NotifiedByServerError)
#: Recipients per sync task.
SYNC_CHUNK = 500


def seal_payload(payload: dict[str, Any]) -> str:
    """Return ``payload`` as JSON sealed with the first NOTIFIEDBY_OUTBOX_KEYS key."""
    return load_keys().encrypt(json.dumps(payload).encode()).decode("ascii")


def open_payload(token: str) -> dict[str, Any]:
    """Return the payload sealed in ``token``; NotifiedByConfigError if no key opens it."""
    try:
        payload: dict[str, Any] = json.loads(load_keys().decrypt(token.encode("ascii")))
    except InvalidToken:
        msg = (
            "A queued NotifiedBy payload was not sealed with any NOTIFIEDBY_OUTBOX_KEYS key "
            "(or was altered); keep retired keys in the list until their tasks have run."
        )
        raise NotifiedByConfigError(msg) from None
    return payload


def _client() -> Any:
    from notifiedby.client import get_default_client

    return get_default_client()


# --- tasks: each opens its payload and makes the one call ----------------------------------

# A task that calls the API once retries what may pass (a 5xx, a dropped connection) with
# backoff; the idempotency key in its payload keeps a retried send from going out twice.
_retrying_task = functools.partial(
    shared_task, acks_late=True, autoretry_for=RETRY_ON, retry_backoff=True, max_retries=5
)


@_retrying_task(name="notifiedby.send_email")
def send_email_task(token: str) -> dict[str, Any]:
    """Send the sealed email; return the API's answer (``{"id": ...}``)."""
    payload = open_payload(token)
    return send_email(_client(), **payload)


@_retrying_task(name="notifiedby.subscribe")
def subscribe_task(token: str) -> dict[str, Any]:
    """Subscribe the sealed recipient to its flow; return the API's answer."""
    payload = open_payload(token)
    return subscribe_to(_client(), **payload)


@shared_task(name="notifiedby.sync_recipients", acks_late=True)
def sync_recipients_task(token: str, concurrency: int = bulk.DEFAULT_CONCURRENCY) -> dict[str, Any]:
    """Upsert the sealed list of recipients; return counts and the addresses that failed.

    Upserts are idempotent, so a redelivered chunk does no harm; failed items are reported,
    not retried, because most are bad input.
    """
    items = open_payload(token)["recipients"]
    summary = Recipient.objects.using(_client()).bulk_upsert(items, concurrency=concurrency)
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
    fields = {
        "recipient": clean_email(recipient, "recipient"),
        "subject": subject,
        "body": body,
        "plain_body": plain_body,
        "first_name": first_name,
        "last_name": last_name,
        "flags": None if flags is None else list(flags),
        "use_account_template": use_account_template,
    }
    payload = {key: value for key, value in fields.items() if value is not None}
    payload["idempotency_key"] = uuid.uuid4().hex
    return send_email_task.delay(seal_payload(payload))


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
        "flags": None if flags is None else list(flags),
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
