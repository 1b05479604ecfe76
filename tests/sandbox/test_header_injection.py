"""No header injection: attachment types and names are checked where they enter, and the
server writes no header that holds a line break, whatever the app hands it.

Issue 13: an attachment's content type holding a line feed was stored as is and written back
by the download route as headers, so the browser got ``text/html`` with a script for a body,
in the inbox's origin. What a browser makes of the download is in test_inbox_browser.py.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import attrs
import pytest

from notifiedby.sandbox import Attachment, Sandbox, inbox
from tests.sandbox._raw import host_header, one_answer
from tests.sandbox.conftest import Api

SEND = "/v1/email/send/"
BOUNDARY = "nb-test-boundary"
SCRIPT = b"<script>document.title='pwned'</script>"
#: The payload of the issue: a content type that goes on as a second header and a body.
INJECTED_TYPE = f"text/html\nContent-Length: {len(SCRIPT)}\n\n".encode() + SCRIPT


def _multipart(part_headers: bytes, content: bytes = b"file content") -> bytes:
    """A send's multipart body: the text fields, then one attachment part with these headers."""
    fields = {"recipient": "ann@example.com", "subject": "Files", "body": "<p>b</p>"}
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    return (
        body
        + f"--{BOUNDARY}\r\n".encode()
        + part_headers
        + b"\r\n\r\n"
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def _send(api: Api, part_headers: bytes) -> Any:
    content_type = f"multipart/form-data; boundary={BOUNDARY}"
    return api.post(SEND, data=_multipart(part_headers), headers={"Content-Type": content_type})


def _attachment_part(content_type: bytes, filename: bytes = b'filename="a.html"') -> bytes:
    disposition = b'Content-Disposition: form-data; name="attachment"; ' + filename
    return disposition + b"\r\nContent-Type: " + content_type


@pytest.mark.parametrize("separator", [b"\n", b"\r", b"\x00"], ids=["lf", "cr", "nul"])
def test_a_line_break_in_an_attachment_content_type_is_refused(
    api: Api, sandbox: Sandbox, separator: bytes
) -> None:
    response = _send(api, _attachment_part(INJECTED_TYPE.replace(b"\n", separator)))

    assert response.status_code == 400
    assert "bare CR, LF or NUL" in response.json()["detail"]
    assert sandbox.emails == []


@pytest.mark.parametrize(
    "content_type",
    [
        "text",
        "text/",
        "/html",
        "text/html;",
        "text/html; charset",
        "text/ html",
        "text/html; a=b c",
        'text/html; a="open',
        "t\u00e9xt/html",
        "text/" + "x" * 300,
    ],
)
def test_a_content_type_outside_the_grammar_is_refused(
    api: Api, sandbox: Sandbox, content_type: str
) -> None:
    response = _send(api, _attachment_part(content_type.encode()))

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "invalid content type" in detail
    assert "type/subtype" in detail
    assert sandbox.emails == []


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "text/plain; charset=utf-8",
        'application/x-thing; name="a b;c.txt"; x=1',
        "APPLICATION/PDF",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ],
)
def test_valid_content_types_are_kept(api: Api, sandbox: Sandbox, content_type: str) -> None:
    response = _send(api, _attachment_part(content_type.encode()))

    assert response.status_code == 200, response.text
    assert sandbox.emails[0].attachments[0].content_type == content_type


@pytest.mark.parametrize(
    "filename",
    [
        b'filename="a%0Ab.txt"',
        b"filename*=UTF-8''a%0D%0Ab.txt",
        b"filename*=UTF-8''a%00b.txt",
        b'filename="a\x01b.txt"',
        b'filename="' + b"x" * 300 + b'"',
    ],
    ids=["html5-lf", "rfc2231-crlf", "rfc2231-nul", "raw-control", "too-long"],
)
def test_an_unusable_file_name_is_refused(api: Api, sandbox: Sandbox, filename: bytes) -> None:
    response = _send(api, _attachment_part(b"text/plain", filename))

    assert response.status_code == 400
    assert "file name" in response.json()["detail"]
    assert sandbox.emails == []


def test_a_json_send_carries_no_attachments(api: Api, sandbox: Sandbox) -> None:
    # The API takes attachments only as multipart parts: a JSON field of that name is
    # ignored like any unknown field, so nothing from it is ever stored or served.
    attachment = {
        "filename": "a.html",
        "content_type": INJECTED_TYPE.decode(),
        "content": base64.b64encode(SCRIPT).decode(),
    }

    response = api.post(
        SEND,
        json={
            "recipient": "ann@example.com",
            "subject": "JSON",
            "body": "<p>b</p>",
            "attachment": [attachment],
            "attachments": [attachment],
        },
    )

    assert response.status_code == 200
    assert sandbox.emails[0].attachments == ()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Content-Type", "text/html\r\nX-Injected: yes"),
        ("Content-Type", "text/html\nX-Injected: yes"),
        ("Content-Type", "text/html\rX-Injected: yes"),
        ("Content-Type", "text/html\x00X-Injected: yes"),
        ("X-Injected: yes\r\nX-Name", "1"),
    ],
    ids=["crlf", "lf", "cr", "nul", "in-the-name"],
)
def test_the_server_writes_no_header_with_a_line_break(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setattr(inbox, "serve", lambda control, request: (200, SCRIPT, {name: value}))
    request = f"GET / HTTP/1.1\r\nHost: {host_header(sandbox.url)}\r\n\r\n"

    answer = one_answer(sandbox.url, request.encode())

    # A sandbox bug, not bad input: the answer is refused, never written split.
    assert answer.status == 500
    assert b"X-Injected" not in answer.head
    assert SCRIPT not in answer.body
    assert answer.headers["content-type"] == "application/json"


def test_a_stored_attachment_with_an_unsafe_type_downloads_as_octet_stream(
    api: Api, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a --data file written by an older sandbox may hold: the payload, stored as is.
    assert _send(api, _attachment_part(b"text/plain")).status_code == 200
    [sent] = sandbox.emails
    poisoned = attrs.evolve(
        sent, attachments=(Attachment("a.html", INJECTED_TYPE.decode(), SCRIPT),)
    )
    monkeypatch.setattr(sandbox.control, "sent_emails", lambda: [poisoned])
    request = (
        f"GET /inbox/emails/{sent.id}/attachments/0 HTTP/1.1\r\n"
        f"Host: {host_header(sandbox.url)}\r\n\r\n"
    )

    answer = one_answer(sandbox.url, request.encode())

    assert answer.status == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["content-security-policy"] == "sandbox"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.head.lower().count(b"content-length:") == 1
    assert answer.body == SCRIPT


@pytest.mark.parametrize("retry_after", ["1\r\nX-Injected: yes", "1\n", "\x00", "caf\u00e9"])
def test_a_retry_after_that_is_not_header_text_is_refused(
    control: Api, sandbox: Sandbox, retry_after: str
) -> None:
    response = control.post("/_sandbox/faults/", json={"status": 503, "retry_after": retry_after})

    assert response.status_code == 400
    assert "retry_after" in json.loads(response.content)["detail"]
    assert sandbox.control.faults.to_list() == []
