"""Map a Django email message to what ``POST /email/send/`` takes, one address at a time.

The rules (docs/django.md has them as a table): every distinct address of to, cc and bcc gets
its own copy; the subject goes as given; an HTML alternative is ``body`` and the text is
``plain_body``; a text-only message gets an HTML ``body`` made from the escaped text; every
attachment travels with its name, type and bytes. The :class:`EmailPayload` made of them
checks the flags and attachments before the message is sent or queued. What the API can't
carry is listed by :func:`unsupported_features`.
"""

from __future__ import annotations

import email.message
import mimetypes
from collections.abc import Iterator
from email.utils import parseaddr
from typing import Any

from django.utils.encoding import force_str
from django.utils.html import linebreaks

from notifiedby.resources.email import DEFAULT_CONTENT_TYPE, EmailPayload

__all__ = [
    "Attachment",
    "EmailPayload",
    "distinct_addresses",
    "read_attachments",
    "read_bodies",
    "read_flags",
    "unsupported_features",
]

#: (filename, content, content type), as :class:`EmailPayload` keeps one.
Attachment = tuple[str, bytes, str]


def distinct_addresses(message: Any) -> tuple[str, ...]:
    """Return the bare addresses of to, cc and bcc, each once (compared case-insensitively)."""
    seen: dict[str, str] = {}
    for entry in message.recipients():
        address = _bare_address(entry)
        seen.setdefault(address.casefold(), address)
    return tuple(seen.values())


def _bare_address(entry: Any) -> str:
    # Django 6 also takes email.headerregistry.Address objects.
    addr_spec = getattr(entry, "addr_spec", None)
    if isinstance(addr_spec, str):
        return addr_spec
    text = force_str(entry)
    # A string parseaddr can't read is sent as is, so the API's error names it.
    return parseaddr(text)[1] or text.strip()


def read_bodies(message: Any) -> tuple[str, str | None]:
    """Return ``(body, plain_body)``: the HTML and the text of the message."""
    text = force_str(message.body or "")
    html = [force_str(c) for c, mimetype in _alternatives(message) if mimetype == "text/html"]
    if html:
        return html[0], text or None
    if message.content_subtype == "html":
        return text, None
    # A text-only message: the API needs HTML, so render the text readably.
    return linebreaks(text, autoescape=True), text


def _alternatives(message: Any) -> list[tuple[Any, str]]:
    return [(a[0], a[1]) for a in getattr(message, "alternatives", None) or ()]


def read_attachments(message: Any) -> tuple[Attachment, ...]:
    """Return every attachment as (filename, bytes, content type), unchecked: the
    EmailPayload they go into checks them."""
    encoding = message.encoding or "utf-8"
    return tuple(_read_attachment(item, encoding) for item in message.attachments)


def _read_attachment(item: Any, encoding: str) -> Attachment:
    if isinstance(item, email.message.Message):  # MIMEBase, or Django 6's MIMEPart
        content = item.get_payload(decode=True)
        if not isinstance(content, bytes):  # a message/rfc822 part holds a parsed message
            parts = item.get_payload()
            content = b"".join(p.as_bytes() for p in parts if isinstance(p, email.message.Message))
        return (item.get_filename() or "attachment", content, item.get_content_type())
    filename, content, mimetype = item  # a 3-tuple or Django 5.2+'s EmailAttachment
    name = force_str(filename or "attachment")
    if isinstance(content, str):
        content = content.encode(encoding)
    mimetype = mimetype or mimetypes.guess_type(name)[0] or DEFAULT_CONTENT_TYPE
    return (name, bytes(content), mimetype)


def read_flags(message: Any) -> Any:
    """Return the message's ``flags`` attribute as set (None when it has none), unchecked:
    the EmailPayload it goes into checks it."""
    return getattr(message, "flags", None)


def unsupported_features(message: Any, *, from_email: str | None) -> Iterator[str]:
    """Yield a short name for each part of ``message`` the API cannot carry.

    ``from_email``: the only From address allowed, or None to allow any (the API always
    sends from the account's sender).
    """
    if message.reply_to:
        yield "reply_to"
    for name in message.extra_headers or {}:
        yield f"header {name!r}"
    if from_email is not None and not _same_address(message.from_email, from_email):
        sender = _bare_address(message.from_email)
        yield (
            f"from_email {sender!r} (the API sends from the account's own sender, and "
            f"NOTIFIEDBY_STRICT_FROM allows only DEFAULT_FROM_EMAIL, {from_email})"
        )
    if message.content_subtype not in ("plain", "html"):
        yield f"a text/{message.content_subtype} body"
    has_html = message.content_subtype == "html"
    for _, mimetype in _alternatives(message):
        if mimetype != "text/html":
            yield f"an alternative of type {mimetype}"
        elif has_html:
            yield "more than one HTML body"
        else:
            has_html = True
    for item in message.attachments:
        if isinstance(item, email.message.Message) and item.get("Content-ID"):
            yield f"inline attachment {item.get_filename() or item.get('Content-ID')!r}"


def _same_address(left: Any, right: str) -> bool:
    return _bare_address(left).casefold() == _bare_address(right).casefold()
