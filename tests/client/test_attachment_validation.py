"""Attachment file names and content types are checked before any request: both are written
into a header of the multipart request, where CR or LF would start a header of their own."""

from __future__ import annotations

from typing import Any

import pytest

from notifiedby import Email
from notifiedby.client import NotifiedByClient
from notifiedby.exceptions import NotifiedByInvalidArgument, NotifiedByValidationError
from notifiedby.resources.email import clean_attachment
from notifiedby.sandbox import Sandbox

BAD_NAMES = {
    "LF": "report\n.pdf",
    "CR LF and a header": "a.txt\r\nContent-Type: text/html",
    "NUL": "a\x00.txt",
    "tab": "a\tb.txt",
    "DEL": "a\x7f.txt",
    "C1 (NEL)": "a\x85.txt",
    "line separator": "a\u2028b.txt",
}

BAD_TYPES = {
    "LF and a body": "text/html\nContent-Length: 5\n\n<script>alert(1)</script>",
    "CR": "text/plain\r",
    "no subtype": "text",
    "two slashes": "text/plain/x",
    "space inside": "text /plain",
    "parameter without value": "text/plain; charset",
    "unquoted space in a value": "text/plain; name=a b",
    "non-ASCII": "text/plaïn",
    "bytes": b"text/plain",
}

GOOD_TYPES = [
    "application/pdf",
    "text/plain; charset=utf-8",
    "text/plain;charset=UTF-8;format=flowed",
    'application/octet-stream; name="a b.bin"',
    'text/plain; title="say \\"hi\\""',
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/svg+xml",
]


def send(client: NotifiedByClient, attachment: tuple[Any, Any, Any]) -> None:
    Email.objects.using(client).send(
        recipient="a@example.com", subject="Files", body="<p>Hi</p>", attachments=[attachment]
    )


@pytest.mark.parametrize("name", list(BAD_NAMES.values()), ids=list(BAD_NAMES))
def test_a_file_name_with_a_control_character_is_refused_before_sending(
    client: NotifiedByClient, sandbox: Sandbox, name: str
) -> None:
    with pytest.raises(NotifiedByValidationError) as info:
        send(client, (name, b"data", "text/plain"))

    assert sandbox.requests == []
    message = str(info.value)
    assert message.startswith(f"Attachment {name!r} has a control character")
    assert "remove CR, LF, NUL and other control characters" in message
    assert isinstance(info.value, NotifiedByInvalidArgument)
    assert (info.value.status_code, info.value.argument) == (None, "attachments")


@pytest.mark.parametrize("content_type", list(BAD_TYPES.values()), ids=list(BAD_TYPES))
def test_a_content_type_that_is_not_a_media_type_is_refused_before_sending(
    client: NotifiedByClient, sandbox: Sandbox, content_type: Any
) -> None:
    with pytest.raises(NotifiedByValidationError) as info:
        send(client, ("page.html", b"<p>hi</p>", content_type))

    assert sandbox.requests == []
    message = str(info.value)
    assert message.startswith(f"Attachment 'page.html' has the content type {content_type!r}")
    assert "not a type/subtype media type" in message
    assert "such as 'application/pdf'" in message


@pytest.mark.parametrize("content_type", GOOD_TYPES)
def test_media_types_with_parameters_are_sent_as_given(
    client: NotifiedByClient, sandbox: Sandbox, content_type: str
) -> None:
    send(client, ("a.bin", b"data", content_type))

    [attachment] = sandbox.emails[0].attachments
    assert attachment.content_type.split(";")[0] == content_type.split(";")[0]


def test_a_missing_content_type_gets_the_default_and_unicode_names_pass() -> None:
    assert clean_attachment("résumé ✓.pdf", None) == ("résumé ✓.pdf", "application/octet-stream")
    assert clean_attachment("a.txt", "") == ("a.txt", "application/octet-stream")


def test_empty_and_ambiguous_file_names_are_refused(
    client: NotifiedByClient, sandbox: Sandbox
) -> None:
    with pytest.raises(NotifiedByValidationError, match="has an empty file name"):
        send(client, ("", b"data", None))
    with pytest.raises(NotifiedByValidationError, match="remove backslashes, %22, %0D, %0A"):
        send(client, ("a%0d%0ab.txt", b"data", None))
    assert sandbox.requests == []
