"""The email endpoints: ``POST /email/send/``, ``GET /email/list/``, ``GET /email/detail/``
and ``GET /email/delivery/``, with the one shape of a send, :class:`EmailPayload`.

A send answers 200 ``{"id": ...}``, or, for a blocked recipient, 200 ``{"id": ..., "error":
...}``: accepted, never delivered. :meth:`SendResult.from_answer` is where that is decided.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from notifiedby._urls import endpoint
from notifiedby._wire.base import (
    clean_email,
    clean_id,
    clean_text,
    invalid,
    json_body,
    json_object,
    optional_flags,
)
from notifiedby.exceptions import NotifiedByInvalidArgument

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "LIST_PATH",
    "Attachment",
    "DeliveryRequest",
    "DetailRequest",
    "EmailPayload",
    "SendResult",
    "clean_attachment",
    "delivery",
    "detail",
    "send",
]

SEND_PATH = "/email/send/"
LIST_PATH = "/email/list/"
DETAIL_PATH = "/email/detail/"

#: An attachment: (filename, content, mimetype or None for the default), as Django keeps one.
Attachment = tuple[str, "bytes | str", "str | None"]
DEFAULT_CONTENT_TYPE = "application/octet-stream"

# --- attachments: their name and type go into a header of the multipart request ---------

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


def clean_attachment(filename: object, mimetype: str | None) -> tuple[str, str]:
    """Return an attachment's file name and content type (None or "": the default), checked
    before anything is sent, since both end up in a header of the multipart request.

    Raise NotifiedByInvalidArgument naming the attachment and the fix.
    """
    name = clean_text(filename, "attachment file name")
    content_type = mimetype or DEFAULT_CONTENT_TYPE
    problem = _filename_problem(name) or _content_type_problem(content_type)
    if problem:
        raise NotifiedByInvalidArgument(f"Attachment {name!r} {problem}.", argument="attachments")
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


def _clean_attachments(value: Iterable[Attachment] | None) -> tuple[tuple[str, Any, str], ...]:
    cleaned = []
    for name, content, mimetype in value or ():
        filename, content_type = clean_attachment(name, mimetype)
        cleaned.append((filename, content, content_type))
    return tuple(cleaned)


# --- the send ------------------------------------------------------------------------------


def _clean_subject(value: object) -> str:
    return clean_text(value, "subject")


def _clean_body(value: object) -> str:
    return clean_text(value, "body")


def _optional_bool(value: object) -> bool | None:
    return None if value is None else bool(value)


@attrs.frozen(kw_only=True)
class EmailPayload:
    """One email as the send endpoint takes it, the same for each of its addresses.

    Checked when made (text, flags, attachments); each address is checked when sent to, so
    one bad address fails alone.
    """

    #: Distinct addresses (no display names) in to, cc, bcc order.
    recipients: tuple[str, ...]
    subject: str = attrs.field(converter=_clean_subject)
    body: str = attrs.field(converter=_clean_body)
    plain_body: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    flags: tuple[str, ...] | None = attrs.field(default=None, converter=optional_flags)
    #: Wrap the body in the account's template; None sends nothing (the API's default: yes).
    use_account_template: bool | None = attrs.field(default=True, converter=_optional_bool)
    #: (filename, content, content type) each.
    attachments: tuple[tuple[str, Any, str], ...] = attrs.field(
        default=(), converter=_clean_attachments
    )

    def send_kwargs(self) -> dict[str, Any]:
        """Return every field but ``recipients`` as plain data (the outbox stores it);
        ``EmailPayload(recipients=..., **kwargs)`` makes the payload again."""
        return {
            "subject": self.subject,
            "body": self.body,
            "plain_body": self.plain_body,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "flags": None if self.flags is None else list(self.flags),
            "use_account_template": self.use_account_template,
            "attachments": list(self.attachments),
        }


@attrs.frozen
class SendResult:
    """The API's answer to one send."""

    #: The id the API gave the email (a blocked recipient's email has one too).
    email_id: str | None
    #: Why the email will not be delivered (the recipient is blocked); None when it will be.
    error: str | None
    #: The answer as it came.
    answer: dict[str, Any] = attrs.field(repr=False)

    @property
    def blocked(self) -> bool:
        """True when the API accepted the email but will not deliver it."""
        return self.error is not None

    @classmethod
    def from_answer(cls, answer: dict[str, Any]) -> SendResult:
        """Decode a send's answer: a 200 carrying ``error`` means the recipient is blocked."""
        error = answer.get("error")
        return cls(answer.get("id"), str(error) if error else None, answer)


def send(
    client: NotifiedByClient,
    payload: EmailPayload,
    recipient: object,
    *,
    idempotency_key: str | None = None,
) -> SendResult:
    """Send ``payload`` to ``recipient`` (one address): JSON, or multipart with attachments
    (one ``attachment`` part per file)."""
    fields = {
        "recipient": clean_email(recipient, "recipient"),
        **json_body(payload, leave_out=("recipients", "attachments")),
    }
    if not payload.attachments:
        answer = client.post(SEND_PATH, json=fields, idempotency_key=idempotency_key)
    else:
        # Form fields are strings: flags travel as a comma string, the flag as "true"/"false".
        data = {
            key: ",".join(value)
            if key == "flags"
            else str(value).lower()
            if isinstance(value, bool)
            else value
            for key, value in fields.items()
        }
        files = [("attachment", attachment) for attachment in payload.attachments]
        answer = client.post(SEND_PATH, data=data, files=files, idempotency_key=idempotency_key)
    return SendResult.from_answer(json_object(answer, "a send"))


# --- reading one email -----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class DetailRequest:
    """Which email a detail request reads: the one with ``email_id``, or the latest sent to
    ``address``."""

    email_id: str | None = attrs.field(default=None, converter=attrs.converters.optional(clean_id))
    address: str | None = attrs.field(
        default=None, converter=attrs.converters.optional(clean_email)
    )

    def __attrs_post_init__(self) -> None:
        if (self.email_id is None) == (self.address is None):
            raise invalid("email_id", "give either an email's id or an address.")


def detail(client: NotifiedByClient, request: DetailRequest) -> dict[str, Any]:
    """Read one email's detail (``recipient``, ``subject``, ``created_on``, ``body``)."""
    if request.email_id is not None:
        answer = client.get(endpoint("email", "detail", request.email_id))
    else:
        answer = client.get(DETAIL_PATH, params={"email": request.address})
    return json_object(answer, "an email detail request")


@attrs.frozen
class DeliveryRequest:
    """Which email a delivery-status request reads."""

    email_id: str = attrs.field(converter=clean_id)


def delivery(client: NotifiedByClient, request: DeliveryRequest) -> dict[str, Any]:
    """Read one email's delivery status (``id``, ``status``, ``ses_id``)."""
    answer = client.get(endpoint("email", "delivery", request.email_id))
    return json_object(answer, "a delivery status request")
