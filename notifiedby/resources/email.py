"""Emails: what was sent, its content, and whether it was delivered.

Endpoints: ``POST /email/send/``, ``GET /email/list/`` (filter ``recipient``; items carry
**no id**), ``GET /email/detail/<id>/`` (or ``?email=`` for the latest to an address) and
``GET /email/delivery/<id>/``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs

from notifiedby._wire import email as wire
from notifiedby._wire.base import clean_email, clean_id, invalid
from notifiedby._wire.email import (
    DEFAULT_CONTENT_TYPE,
    Attachment,
    EmailPayload,
    SendResult,
    clean_attachment,
)
from notifiedby.exceptions import (
    NotifiedByDeliveryTimeout,
    NotifiedByInvalidArgument,
    NotifiedByNotFoundError,
    NotifiedByRecipientBlocked,
)
from notifiedby.query import Q, QuerySet
from notifiedby.resources.base import (
    BaseManager,
    FilterField,
    ManagerDescriptor,
    WireModel,
    casefold_key,
    omit_if,
    parse_datetime,
)
from notifiedby.resources.listed import ListedResource

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "Attachment",
    "DeliveryState",
    "DeliveryStatus",
    "Email",
    "EmailManager",
    "EmailPayload",
    "EmailQuerySet",
    "SendResult",
    "clean_attachment",
]

#: The delivery statuses this SDK knows; a newer server's new status is kept as sent.
DeliveryState = Literal["pending", "delivered", "bounced", "complained", "failed"]


class EmailQuerySet(QuerySet["Email"]):
    """Queries over sent emails, newest first; filter by ``recipient``.

    Emails read from the list have no id (the API's list doesn't give one), so they can't
    report their delivery status; ``get(id=...)`` and ``send()`` give emails with an id.
    """

    def get(self, *args: Q, **filters: Any) -> Email:
        """Return one email; ``get(id=...)`` reads its detail (one request).

        Raises ``Email.DoesNotExist`` for an unknown id.
        """
        if "id" not in filters:
            return super().get(*args, **filters)
        email_id = clean_id(filters.pop("id"), "id")
        checked = self.filter(*args, **filters)
        client = self._get_client()
        try:
            data = wire.detail(client, wire.DetailRequest(email_id=email_id))
        except NotifiedByNotFoundError as exc:
            raise Email.DoesNotExist(
                f"Email matching query does not exist (id={email_id!r})."
            ) from exc
        email = Email.from_api({"id": email_id, **data}, client)
        if checked._empty or checked._is_sliced() or not checked._matches(email):
            raise Email.DoesNotExist(f"Email matching query does not exist (id={email_id!r}).")
        return email

    def latest(self, *fields: str, recipient: object = None) -> Email:
        """Return the most recent email to ``recipient`` with its body (one request); with
        ``fields``, the email with the largest ``fields``, as a QuerySet's ``latest()``.

        The API's answer has no id, so the email it gives has ``id`` None.
        Raises ``Email.DoesNotExist`` when nothing was sent to that address.
        """
        if fields:
            return super().latest(*fields)
        address = recipient if recipient is not None else self._server_params().get("recipient")
        if address is None:
            raise invalid("recipient", "latest() needs the address whose latest email you want.")
        client = self._get_client()
        request = wire.DetailRequest(address=clean_email(address, "recipient"))
        try:
            data = wire.detail(client, request)
        except NotifiedByNotFoundError as exc:
            raise Email.DoesNotExist(f"No email was sent to {address}.") from exc
        return Email.from_api(data, client)

    def detail(self, email_id: object = None, *, address: object = None) -> dict[str, Any]:
        """Return the API's answer for one email's detail (one request): the email with
        ``email_id``, or the latest sent to ``address``; give one of them.

        The answer as it came: ``recipient``, ``subject``, ``created_on``, ``body``.
        """
        request = wire.DetailRequest(email_id=email_id, address=address)
        return wire.detail(self._get_client(), request)

    def delivery(self, email_id: object) -> dict[str, Any]:
        """Return the API's answer for one email's delivery status (one request): ``id``,
        ``status``, ``ses_id``. :meth:`Email.delivery_status` gives it as an object."""
        return wire.delivery(self._get_client(), wire.DeliveryRequest(email_id))

    def send(
        self,
        *,
        recipient: object,
        subject: str,
        body: str,
        plain_body: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        flags: str | Iterable[str] | None = None,
        use_account_template: bool | None = None,
        attachments: Sequence[Attachment] | None = None,
    ) -> Email:
        """Send an email (one request) and return it, with the id the API gave it.

        Raises NotifiedByRecipientBlocked when the API accepts it but the recipient is
        blocked, so it will not be delivered.
        """
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
            attachments=attachments,
        )
        client = self._get_client()
        result = wire.send(client, payload, address)
        if result.blocked:
            msg = f"The email to {address} was accepted but will not be delivered: {result.error}"
            raise NotifiedByRecipientBlocked(msg, email_id=result.email_id, recipient=address)
        # Imported here: it is the Django side, and does nothing without a configured app.
        from notifiedby.tracking.record import record_sent

        record_sent(result.email_id, address, subject=subject)
        return Email(
            id=result.email_id, recipient=address, subject=subject, body=body, client=client
        )

    async def asend(self, **kwargs: Any) -> Email:
        """Async version of :meth:`send`."""
        return await asyncio.to_thread(self.send, **kwargs)

    def send_payload(
        self, payload: EmailPayload, recipient: object, *, idempotency_key: str | None = None
    ) -> SendResult:
        """Send ``payload`` to one of its addresses (one request); return the decoded answer.

        Unlike :meth:`send`, a blocked recipient is not an error: ``result.blocked`` says so.
        Pass ``idempotency_key`` when the same send may be made again later (a queued one).
        """
        return wire.send(self._get_client(), payload, recipient, idempotency_key=idempotency_key)


if TYPE_CHECKING:

    class EmailManager(BaseManager["Email"], EmailQuerySet): ...

else:
    EmailManager = BaseManager.from_queryset(EmailQuerySet, "EmailManager")


@attrs.frozen(kw_only=True, eq=False)
class DeliveryStatus(WireModel):
    """Where one email is in delivery: ``pending``, then ``delivered`` or a failure."""

    id: str = attrs.field()
    status: DeliveryState = attrs.field(default="pending")
    #: The mail provider's message id; None while pending.
    ses_id: str | None = attrs.field(default=None)

    @property
    def delivered(self) -> bool:
        """True once the email reached the recipient's mail server."""
        return self.status == "delivered"


@attrs.define(kw_only=True, eq=False, repr=False)
class Email(ListedResource):
    """One sent email; identified by its id, which emails read from the list lack."""

    list_path: ClassVar[str | None] = wire.LIST_PATH
    filter_fields: ClassVar[dict[str, FilterField]] = {
        "recipient": FilterField("recipient", "recipient", clean_email, casefold_key),
    }
    objects = ManagerDescriptor(EmailManager)

    #: The API's id (a sqid such as ``"JDT"``); None for emails read from the list.
    id: str | None = attrs.field(default=None, metadata=omit_if(None))
    recipient: str = attrs.field(default="")
    subject: str = attrs.field(default="")
    created_on: datetime | None = attrs.field(default=None, converter=parse_datetime)
    #: The HTML body: only the detail gives it; None when stored encrypted and unreadable.
    body: str | None = attrs.field(default=None, metadata=omit_if(None))
    #: True when the body is stored encrypted and no (or no matching) key was sent.
    encrypted: bool = attrs.field(default=False, metadata=omit_if(False))

    def __str__(self) -> str:
        return f"{self.subject!r} to {self.recipient}"

    def _identity(self) -> object:
        return self.id

    def _require_id(self, action: str) -> str:
        if self.id is None:
            msg = (
                f"Can't {action}: this Email has no id, because the API's email list doesn't "
                "give one. Use an Email from Email.objects.get(id=...) or send()."
            )
            raise NotifiedByInvalidArgument(msg, argument="id")
        return self.id

    def delivery_status(self) -> DeliveryStatus:
        """Return this email's delivery status (one request)."""
        email_id = self._require_id("read its delivery status")
        answer = wire.delivery(self._get_client(), wire.DeliveryRequest(email_id))
        return DeliveryStatus.from_api(answer)

    def wait_for_delivery(self, timeout: float = 60.0, interval: float = 1.0) -> DeliveryStatus:
        """Poll the delivery status every ``interval`` seconds until it is no longer
        ``pending``, and return it (``delivered``, or how it failed).

        Raises NotifiedByDeliveryTimeout when it is still pending after ``timeout`` seconds.
        """
        if not (timeout >= 0 and interval > 0):
            msg = f"timeout must be >= 0 and interval > 0, got {timeout!r} and {interval!r}."
            raise NotifiedByInvalidArgument(msg)
        email_id = self._require_id("wait for its delivery")
        deadline = time.monotonic() + timeout
        while (status := self.delivery_status()).status == "pending":
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                msg = f"Email {email_id} to {self.recipient} was still pending after {timeout} s."
                raise NotifiedByDeliveryTimeout(msg, email_id=email_id, timeout=timeout)
            time.sleep(min(interval, remaining))
        return status

    def _fetch_again(self, queryset: QuerySet[Any]) -> Email:
        """Read this email's detail, body included, through ``queryset`` (one request)."""
        fresh: Email = queryset.get(id=self._require_id("reload it"))
        return fresh
