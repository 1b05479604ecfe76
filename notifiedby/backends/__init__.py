"""The Django email backend: every message Django sends goes through the NotifiedBy API.

``EMAIL_BACKEND = "notifiedby.NotifiedByEmailBackend"`` (or a ``MAILERS`` entry on Django
6.1+). Each message goes through one fixed pipeline, :meth:`~NotifiedByEmailBackend.send_message`,
made of hooks a subclass may override: ``build_payload``, ``idempotency_key``,
``post_to_api``, ``parse_response``, ``raise_for_status``. The API takes one recipient per
call, so each distinct address of to, cc and bcc gets its own copy.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import attrs
from django.core.mail.backends.base import BaseEmailBackend

from notifiedby import signals
from notifiedby._mapping import (
    EmailPayload,
    distinct_addresses,
    read_attachments,
    read_bodies,
    read_flags,
    unsupported_features,
)
from notifiedby.client import NotifiedByClient
from notifiedby.conf import TimeoutArg, get_setting, to_bool
from notifiedby.exceptions import (
    NotifiedByConfigError,
    NotifiedByError,
    NotifiedByRecipientsRefused,
    NotifiedByUnsupportedFeature,
    NotifiedByValidationError,
)
from notifiedby.message import NotifiedByStatus, RecipientState, RecipientStatus
from notifiedby.resources.email import Email, SendResult
from notifiedby.tracking.record import record_sent

__all__ = [
    "NEVER_SILENCED",
    "NotifiedByEmailBackend",
    "send_email_via_api",
]

USE_ACCOUNT_TEMPLATE: Final = "NOTIFIEDBY_USE_ACCOUNT_TEMPLATE"
IGNORE_UNSUPPORTED_FEATURES: Final = "NOTIFIEDBY_IGNORE_UNSUPPORTED_FEATURES"
IGNORE_RECIPIENTS_REFUSED: Final = "NOTIFIEDBY_IGNORE_RECIPIENTS_REFUSED"
STRICT_FROM: Final = "NOTIFIEDBY_STRICT_FROM"

#: Errors ``fail_silently`` never hides: they mean the settings or the code are wrong, so
#: every later message would be lost the same way.
NEVER_SILENCED: Final = (NotifiedByConfigError, NotifiedByUnsupportedFeature)


class NotifiedByEmailBackend(BaseEmailBackend):
    """Send Django email through the NotifiedBy API.

    Keyword arguments (also ``MAILERS`` ``OPTIONS``) override the settings of the same name:
    ``api_key``, ``base_url``, ``encryption_key``, ``timeout``, ``max_retries``, ``deadline``,
    ``max_response_bytes`` for the API client, or ``client`` for one you own (never closed
    here); ``use_account_template``, ``ignore_unsupported_features``,
    ``ignore_recipients_refused``, ``strict_from``.
    Configuration errors are raised here or in ``open()``, never hidden by ``fail_silently``.
    """

    #: Whether the system checks should require an API key for this backend.
    needs_api_key: ClassVar[bool] = True

    def __init__(
        self,
        fail_silently: bool = False,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        encryption_key: str | None = None,
        timeout: TimeoutArg | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        max_response_bytes: int | None = None,
        client: NotifiedByClient | None = None,
        use_account_template: bool | None = None,
        ignore_unsupported_features: bool | None = None,
        ignore_recipients_refused: bool | None = None,
        strict_from: bool | None = None,
        **kwargs: Any,
    ) -> None:
        # fail_silently is ours: Django 6.1's base class deprecates receiving it.
        super().__init__(**kwargs)
        self.fail_silently = fail_silently
        self._client_options: dict[str, Any] = {
            "api_key": api_key,
            "base_url": base_url,
            "encryption_key": encryption_key,
            "timeout": timeout,
            "max_retries": max_retries,
            "deadline": deadline,
            "max_response_bytes": max_response_bytes,
        }
        self._given_client = client
        self._client: NotifiedByClient | None = client
        #: The defaults a message's own attributes may override.
        self.use_account_template = _flag(USE_ACCOUNT_TEMPLATE, use_account_template, True)
        self.ignore_unsupported_features = _flag(
            IGNORE_UNSUPPORTED_FEATURES, ignore_unsupported_features, False
        )
        self.ignore_recipients_refused = _flag(
            IGNORE_RECIPIENTS_REFUSED, ignore_recipients_refused, False
        )
        self.strict_from = _flag(STRICT_FROM, strict_from, False)
        #: The database alias whose suppression list is read before each send.
        self.suppression_database = "default"
        self._lock = threading.RLock()

    # --- Connection: one client, and so one pooled session, from open() to close(). --------

    def open(self) -> bool:
        """Create the API client unless there is one; return whether this call created it."""
        with self._lock:
            if self._client is not None:
                return False
            self._client = self.create_client()
            return True

    def close(self) -> None:
        """Close the client this backend created (a client you passed stays open)."""
        with self._lock:
            client, self._client = self._client, self._given_client
            if client is not None and client is not self._given_client:
                client.close()

    def create_client(self) -> NotifiedByClient:
        """Return a new client from the backend's options and the settings."""
        return NotifiedByClient(**self._client_options)

    # --- The Django contract. -------------------------------------------------------------

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        """Send each message; return how many had at least one address accepted.

        Subclasses shouldn't need to override this: override the hooks instead.
        """
        if not email_messages:
            return 0
        with self._lock:
            created = self.open()
            count = 0
            try:
                for message in email_messages:
                    try:
                        self.send_message(message)
                    except NotifiedByError as exc:
                        if not self.fail_silently or isinstance(exc, NEVER_SILENCED):
                            raise
                    if message.notifiedby_status.status & {"sent", "queued"}:
                        count += 1
            finally:
                if created:
                    self.close()
        return count

    # --- The pipeline, and its hooks. -----------------------------------------------------

    def send_message(self, message: Any) -> None:
        """Send one message to each of its addresses and set ``message.notifiedby_status``.

        A failure about one address (a 400) is recorded and the next address is tried; any
        other failure (an outage, a bad key) would strike every address alike, so the rest
        are marked failed with the same error without being tried.
        """
        status = message.notifiedby_status = NotifiedByStatus()
        if not self.run_pre_send(message):
            return
        payload = self.refuse_suppressed(message, self.build_payload(message))
        for position, address in enumerate(payload.recipients):
            key = self.idempotency_key(message, address)
            try:
                answer = self.post_to_api(payload, address, key)
            except NEVER_SILENCED:
                raise
            except NotifiedByError as exc:
                # A 400 concerns this address; anything else would strike the rest alike.
                give_up = not isinstance(exc, NotifiedByValidationError)
                rest = payload.recipients[position + 1 :] if give_up else ()
                for failed in (address, *rest):
                    status.recipients[failed] = RecipientStatus(
                        address=failed,
                        status="failed",
                        error=exc,
                        idempotency_key=self.idempotency_key(message, failed),
                    )
                if give_up:
                    break
                continue
            status.recipients[address] = sent = self.parse_response(answer, address, key)
            if sent.status == "sent":
                record_sent(sent.email_id, address, subject=payload.subject)
        self.run_post_send(message)
        self.raise_for_status(message)

    def run_pre_send(self, message: Any) -> bool:
        """Send ``pre_send``; return False when a receiver cancelled the message."""
        try:
            signals.pre_send.send(sender=type(self), message=message, backend=self)
        except signals.CancelSend:
            return False
        return True

    def build_payload(self, message: Any) -> EmailPayload:
        """Return what the API will receive for ``message`` (the same for every address).

        Raise NotifiedByUnsupportedFeature for what the API can't carry, unless ignored.
        """
        from_email = None
        if self.strict_from:
            from django.conf import settings

            from_email = settings.DEFAULT_FROM_EMAIL
        features = list(unsupported_features(message, from_email=from_email))
        if features and not self.ignore_unsupported_features:
            msg = f"The NotifiedBy API can't send {', '.join(features)}."
            hint = (
                "remove it from the message, or set NOTIFIEDBY_IGNORE_UNSUPPORTED_FEATURES = "
                "True to send the message without it"
            )
            raise NotifiedByUnsupportedFeature(msg, feature=features[0], hint=hint)
        body, plain_body = read_bodies(message)
        use_account_template = getattr(message, "use_account_template", None)
        return EmailPayload(
            recipients=distinct_addresses(message),
            subject=str(message.subject),
            body=body,
            plain_body=plain_body,
            first_name=getattr(message, "first_name", None),
            last_name=getattr(message, "last_name", None),
            flags=read_flags(message),
            use_account_template=(
                self.use_account_template
                if use_account_template is None
                else bool(use_account_template)
            ),
            attachments=read_attachments(message),
        )

    def refuse_suppressed(self, message: Any, payload: EmailPayload) -> EmailPayload:
        """Mark the addresses on the suppression list ``rejected`` in the message's status;
        return the payload without them.

        Nothing is refused when ``message.notifiedby_ignore_suppression`` is true, nor
        without the ``notifiedby`` app or its table. One query per message.
        """
        if getattr(message, "notifiedby_ignore_suppression", False):
            return payload
        from notifiedby.suppression.lookup import SUPPRESSED_REASON, suppressed

        refused = suppressed(payload.recipients, using=self.suppression_database)
        for address in refused:
            message.notifiedby_status.recipients[address] = RecipientStatus(
                address=address,
                status="rejected",
                reason=SUPPRESSED_REASON,
                idempotency_key=self.idempotency_key(message, address),
            )
        kept = tuple(address for address in payload.recipients if address not in refused)
        return attrs.evolve(payload, recipients=kept) if refused else payload

    def idempotency_key(self, message: Any, address: str) -> str:
        """Return the Idempotency-Key for ``address``, the same on every send of ``message``.

        Keys live in ``message.notifiedby_idempotency_keys`` (address -> key, compared
        case-insensitively); a key put there before sending is used as given.
        """
        keys: dict[str, str] | None = getattr(message, "notifiedby_idempotency_keys", None)
        if keys is None:
            keys = message.notifiedby_idempotency_keys = {}
        for known, key in keys.items():
            if known.casefold() == address.casefold():
                return key
        key = keys[address] = uuid.uuid4().hex
        return key

    def post_to_api(self, payload: EmailPayload, address: str, idempotency_key: str) -> Any:
        """Send the payload to one address; return the API's answer."""
        if self._client is None:
            raise RuntimeError("The backend is closed: call open() or use send_messages().")
        emails = Email.objects.using(self._client)
        return emails.send_payload(payload, address, idempotency_key=idempotency_key).answer

    def parse_response(self, answer: Any, address: str, idempotency_key: str) -> RecipientStatus:
        """Return the status of one address from the API's answer to its send: ``sent``, or
        ``rejected`` when the recipient is blocked (accepted, never delivered)."""
        result = SendResult.from_answer(answer)
        state: RecipientState = "rejected" if result.blocked else "sent"
        return RecipientStatus(
            address=address,
            status=state,
            email_id=result.email_id,
            idempotency_key=idempotency_key,
        )

    def run_post_send(self, message: Any) -> None:
        """Send ``post_send``."""
        signals.post_send.send(
            sender=type(self), message=message, status=message.notifiedby_status, backend=self
        )

    def raise_for_status(self, message: Any) -> None:
        """Raise the first failure of the message, or NotifiedByRecipientsRefused when every
        address was rejected (unless ``ignore_recipients_refused``)."""
        status: NotifiedByStatus = message.notifiedby_status
        for recipient in status.recipients.values():
            if recipient.error is not None:
                raise recipient.error
        if status.status == {"rejected"} and not self.ignore_recipients_refused:
            refused = tuple(status.recipients)
            why = ", ".join(
                f"{r.address} ({r.reason or 'blocked'})" for r in status.recipients.values()
            )
            msg = f"Every recipient was refused: {why}."
            raise NotifiedByRecipientsRefused(msg, recipients=refused)


def __getattr__(name: str) -> Any:
    # The outbox backend imports this module, so it is loaded on first use.
    if name == "OutboxEmailBackend":
        from notifiedby.outbox.backend import OutboxEmailBackend

        return OutboxEmailBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _flag(name: str, value: bool | None, default: bool) -> bool:
    return get_setting(name, value, default=default, convert=to_bool)


def send_email_via_api(
    message: Any, use_account_template: bool = True, client: NotifiedByClient | None = None
) -> str | None:
    """Send a Django message through the backend's pipeline; return its email id.

    Kept from the older package. A message with several addresses gets one email each: the
    first id is returned and ``message.notifiedby_status`` has them all. None when a
    ``pre_send`` receiver cancelled it or it has no recipient. Errors are raised.
    """
    backend = NotifiedByEmailBackend(client=client, use_account_template=use_account_template)
    backend.send_messages([message])
    ids = message.notifiedby_status.email_ids
    return ids[0] if ids else None
