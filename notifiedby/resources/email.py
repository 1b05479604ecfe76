"""Emails: what was sent, its content, and whether it was delivered.

Endpoints: ``POST /email/send/``, ``GET /email/list/`` (filter ``recipient``; items carry
**no id**), ``GET /email/detail/<id>/`` (or ``?email=`` for the latest to an address) and
``GET /email/delivery/<id>/``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import attrs

from notifiedby.client import endpoint
from notifiedby.exceptions import (
    NotifiedByDeliveryTimeout,
    NotifiedByNotFoundError,
    NotifiedByRecipientBlocked,
    NotifiedByValidationError,
)
from notifiedby.query import QuerySet
from notifiedby.resources.base import (
    BaseManager,
    FilterField,
    ManagerDescriptor,
    Resource,
    WireModel,
    casefold_key,
    clean_email,
    clean_flags,
    json_object,
    omit_if,
    parse_datetime,
)

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient

__all__ = [
    "Attachment",
    "DeliveryState",
    "DeliveryStatus",
    "Email",
    "EmailManager",
    "EmailQuerySet",
    "clean_attachment",
    "get_delivery",
    "get_detail",
    "send_email",
]

SEND_PATH = "/email/send/"
LIST_PATH = "/email/list/"
DETAIL_PATH = "/email/detail/"

#: The delivery statuses this SDK knows; a newer server's new status is kept as sent.
DeliveryState = Literal["pending", "delivered", "bounced", "complained", "failed"]
#: An attachment as Django's EmailMessage keeps one: (filename, content, mimetype or None).
Attachment = tuple[str, "bytes | str", "str | None"]


def _clean_id(value: object, argument: str = "email_id") -> str:
    if not isinstance(value, str) or not value.strip():
        msg = f"{argument}: expected the email's id (a non-empty string), got {value!r}."
        raise NotifiedByValidationError(msg, status_code=None)
    return value


def _clean_text(value: object, argument: str) -> str:
    if not isinstance(value, str):
        msg = f"{argument}: expected a string, got {type(value).__name__}."
        raise NotifiedByValidationError(msg, status_code=None)
    return value


#: What a multipart file name can't carry unambiguously: receivers read a backslash as an
#: escape, and %22, %0D, %0A as the form encoding of a quote, CR and LF.
_AMBIGUOUS_FILENAME = re.compile(r"\\|%(22|0d|0a)", re.IGNORECASE)
#: Control characters (C0 with CR, LF and NUL, DEL, C1) and Unicode line breaks: written into
#: a header they can end it and start another.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: A media type, ``type/subtype`` and any ``; name=value`` parameters (RFC 9110 8.3.1): each
#: name an HTTP token, each value a token or a quoted string; ASCII only, so no control
#: character gets through.
_NAME = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[\t !#-\[\]-~]|\\[\t -~])*"'
_MEDIA_TYPE = re.compile(rf"{_NAME}/{_NAME}(?:[ \t]*;[ \t]*{_NAME}=(?:{_NAME}|{_QUOTED}))*")
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def clean_attachment(filename: object, mimetype: str | None) -> tuple[str, str]:
    """Return an attachment's file name and content type (None or "": the default), checked
    before anything is sent, since both end up in a header of the multipart request.

    Raise NotifiedByValidationError naming the attachment and the fix.
    """
    name = _clean_text(filename, "attachment file name")
    content_type = mimetype or DEFAULT_CONTENT_TYPE
    problem = _filename_problem(name) or _content_type_problem(content_type)
    if problem:
        raise NotifiedByValidationError(f"Attachment {name!r} {problem}.", status_code=None)
    return name, content_type


def _filename_problem(name: str) -> str | None:
    if not name:
        return "has an empty file name; give it a name"
    control = _CONTROL.search(name)
    if control:
        return (
            f"has a control character ({control.group()!r}) in its file name; remove CR, LF, "
            "NUL and other control characters from it"
        )
    if _AMBIGUOUS_FILENAME.search(name):
        return "has a file name that can't be sent intact; remove backslashes, %22, %0D, %0A"
    return None


def _content_type_problem(content_type: object) -> str | None:
    if isinstance(content_type, str) and _MEDIA_TYPE.fullmatch(content_type):
        return None
    return (
        f"has the content type {content_type!r}, which is not a type/subtype media type; give "
        "one such as 'application/pdf' (parameters as in 'text/plain; charset=utf-8'), or None "
        "for the default"
    )


def send_email(
    client: NotifiedByClient,
    *,
    recipient: object,
    subject: str,
    body: str,
    plain_body: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    flags: object = None,
    use_account_template: bool | None = None,
    attachments: Sequence[Attachment] | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Send one email; return the API's answer (``{"id": ...}``, plus ``error`` if blocked).

    JSON without attachments; multipart with them (one ``attachment`` part per file).
    """
    fields: dict[str, Any] = {
        "recipient": clean_email(recipient, "recipient"),
        "subject": _clean_text(subject, "subject"),
        "body": _clean_text(body, "body"),
    }
    optional = {"plain_body": plain_body, "first_name": first_name, "last_name": last_name}
    fields.update({key: value for key, value in optional.items() if value is not None})
    if flags is not None:
        fields["flags"] = clean_flags(flags)
    if use_account_template is not None:
        fields["use_account_template"] = bool(use_account_template)
    if not attachments:
        answer = client.post(SEND_PATH, json=fields, idempotency_key=idempotency_key)
        return json_object(answer, "a send")
    # Form fields are strings: flags travel as a comma string, the flag as "true"/"false".
    data = {
        key: ",".join(value)
        if key == "flags"
        else str(value).lower()
        if isinstance(value, bool)
        else value
        for key, value in fields.items()
    }
    files = []
    for name, content, mimetype in attachments:
        filename, content_type = clean_attachment(name, mimetype)
        files.append(("attachment", (filename, content, content_type)))
    answer = client.post(SEND_PATH, data=data, files=files, idempotency_key=idempotency_key)
    return json_object(answer, "a send")


def get_detail(
    client: NotifiedByClient, *, email_id: object = None, address: object = None
) -> dict[str, Any]:
    """Read one email's detail by id, or the latest email to ``address``."""
    if email_id is not None:
        answer = client.get(endpoint("email", "detail", _clean_id(email_id)))
    else:
        answer = client.get(DETAIL_PATH, params={"email": clean_email(address, "email")})
    return json_object(answer, "an email detail request")


def get_delivery(client: NotifiedByClient, email_id: object) -> dict[str, Any]:
    """Read one email's delivery status by id."""
    answer = client.get(endpoint("email", "delivery", _clean_id(email_id)))
    return json_object(answer, "a delivery status request")


def raise_if_blocked(answer: Mapping[str, Any], recipient: str) -> None:
    """Raise NotifiedByRecipientBlocked for a 200 answer that carries an ``error``."""
    if answer.get("error"):
        email_id = answer.get("id")
        msg = f"The email to {recipient} was accepted but will not be delivered: {answer['error']}"
        raise NotifiedByRecipientBlocked(msg, email_id=email_id, recipient=recipient)


class EmailQuerySet(QuerySet["Email"]):
    """Queries over sent emails, newest first; filter by ``recipient``.

    Emails read from the list have no id (the API's list doesn't give one), so they can't
    report their delivery status; ``get(id=...)`` and ``send()`` give emails with an id.
    """

    def get(self, **filters: Any) -> Email:
        """Return one email; ``get(id=...)`` reads its detail (one request).

        Raises ``Email.DoesNotExist`` for an unknown id.
        """
        if "id" not in filters:
            return super().get(**filters)
        email_id = _clean_id(filters.pop("id"), "id")
        checked = self.filter(**filters)
        client = self._get_client()
        try:
            data = get_detail(client, email_id=email_id)
        except NotifiedByNotFoundError as exc:
            raise Email.DoesNotExist(
                f"Email matching query does not exist (id={email_id!r})."
            ) from exc
        email = Email.from_api({"id": email_id, **data}, client)
        fields = Email.filter_fields
        matches = all(fields[k].matches(email, v) for k, v in checked._filters.items())
        if checked._empty or checked._is_sliced() or not matches:
            raise Email.DoesNotExist(f"Email matching query does not exist (id={email_id!r}).")
        return email

    def latest(self, *, recipient: object = None) -> Email:
        """Return the most recent email to ``recipient`` with its body (one request).

        The API's answer has no id, so the email it gives has ``id`` None.
        Raises ``Email.DoesNotExist`` when nothing was sent to that address.
        """
        address = recipient if recipient is not None else self._filters.get("recipient")
        if address is None:
            msg = "recipient: latest() needs the address whose latest email you want."
            raise NotifiedByValidationError(msg, status_code=None)
        client = self._get_client()
        try:
            data = get_detail(client, address=clean_email(address, "recipient"))
        except NotifiedByNotFoundError as exc:
            raise Email.DoesNotExist(f"No email was sent to {address}.") from exc
        return Email.from_api(data, client)

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
        client = self._get_client()
        answer = send_email(
            client,
            recipient=recipient,
            subject=subject,
            body=body,
            plain_body=plain_body,
            first_name=first_name,
            last_name=last_name,
            flags=flags,
            use_account_template=use_account_template,
            attachments=attachments,
        )
        address = clean_email(recipient, "recipient")
        raise_if_blocked(answer, address)
        email_id = answer.get("id")
        return Email(id=email_id, recipient=address, subject=subject, body=body, client=client)

    async def asend(self, **kwargs: Any) -> Email:
        """Async version of :meth:`send`."""
        return await asyncio.to_thread(self.send, **kwargs)


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
class Email(Resource):
    """One sent email; identified by its id, which emails read from the list lack."""

    list_path: ClassVar[str | None] = LIST_PATH
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
            raise NotifiedByValidationError(msg, status_code=None)
        return self.id

    def delivery_status(self) -> DeliveryStatus:
        """Return this email's delivery status (one request)."""
        email_id = self._require_id("read its delivery status")
        return DeliveryStatus.from_api(get_delivery(self._get_client(), email_id))

    def wait_for_delivery(self, timeout: float = 60.0, interval: float = 1.0) -> DeliveryStatus:
        """Poll the delivery status every ``interval`` seconds until it is no longer
        ``pending``, and return it (``delivered``, or how it failed).

        Raises NotifiedByDeliveryTimeout when it is still pending after ``timeout`` seconds.
        """
        if not (timeout >= 0 and interval > 0):
            msg = f"timeout must be >= 0 and interval > 0, got {timeout!r} and {interval!r}."
            raise NotifiedByValidationError(msg, status_code=None)
        email_id = self._require_id("wait for its delivery")
        deadline = time.monotonic() + timeout
        while (status := self.delivery_status()).status == "pending":
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                msg = f"Email {email_id} to {self.recipient} was still pending after {timeout} s."
                raise NotifiedByDeliveryTimeout(msg, email_id=email_id, timeout=timeout)
            time.sleep(min(interval, remaining))
        return status

    def refresh(self) -> None:
        """Reload this email's detail, body included (one request)."""
        email_id = self._require_id("reload it")
        fresh = Email.objects.using(self._get_client()).get(id=email_id)
        for field in attrs.fields(Email):
            if field.name != "_client":
                setattr(self, field.name, getattr(fresh, field.name))
