"""Reading requests and writing answers: bodies in JSON, form and multipart, field checks."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

import attrs

__all__ = [
    "MAX_BODY_BYTES",
    "ApiError",
    "Request",
    "Upload",
    "check_email",
    "field_errors",
    "is_filename",
    "is_media_type",
    "parse_body",
]

#: Bodies above this are refused with 413: room for a few 10 MB attachments in multipart.
MAX_BODY_BYTES = 40 * 1024 * 1024
#: JSON nested deeper than this is refused with 400, so no later step recurses that deep.
MAX_JSON_DEPTH = 100
_TOO_DEEP = f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep."
#: The longest attachment content type and file name accepted, in characters.
MAX_ATTACHMENT_LABEL = 255

_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = r'"(?:[\t !#-\[\]-~]|\\[\t !-~])*"'
#: ``type/subtype`` then ``; name=value`` parameters (RFC 9110 media-type), ASCII only.
_MEDIA_TYPE = re.compile(rf"{_TCHARS}/{_TCHARS}(?:[ \t]*;[ \t]*{_TCHARS}=(?:{_TCHARS}|{_QUOTED}))*")

_EMAIL = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{1,63}$"
)


class ApiError(Exception):
    """An error answer: status and JSON body, plus headers."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def field_errors(errors: dict[str, list[str]]) -> ApiError:
    return ApiError(400, errors)


@attrs.frozen
class Upload:
    """A file part of a multipart body."""

    filename: str
    content_type: str
    content: bytes


@attrs.define(kw_only=True)
class Request:
    """What the app needs of one request."""

    method: str
    #: The path split into decoded segments; ``/v1/email/detail/a%2Fb/`` -> v1, email, detail, a/b.
    segments: list[str]
    #: The raw path as received (percent-encoding kept), without the query.
    raw_path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    connection_id: int
    #: Where the request came, as an allowed ``http://host:port``; links are built from it.
    origin: str
    #: Empty until the app has decided to read the body (after authentication).
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


def split_path(raw_path: str) -> list[str]:
    """Split a raw path into percent-decoded segments, each decoded on its own."""
    try:
        return [unquote(part, errors="strict") for part in raw_path.split("/")[1:]]
    except UnicodeDecodeError:
        raise ApiError(404, {"detail": "Not found."}) from None


def parse_query(query_string: str) -> dict[str, list[str]]:
    try:
        return parse_qs(query_string, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise ApiError(400, {"detail": "The query string is not valid UTF-8."}) from None


def is_media_type(value: str) -> bool:
    """Tell whether ``value`` is a content type: ``type/subtype`` with optional parameters."""
    return len(value) <= MAX_ATTACHMENT_LABEL and _MEDIA_TYPE.fullmatch(value) is not None


def is_filename(value: str) -> bool:
    """Tell whether ``value`` is a usable file name: not empty, not too long, no control
    characters (a CR or LF in a name would end up in a header or a log line)."""
    return 0 < len(value) <= MAX_ATTACHMENT_LABEL and not any(
        unicodedata.category(character) == "Cc" for character in value
    )


def _shown(value: str) -> str:
    return repr(value[:60] + ("..." if len(value) > 60 else ""))


def _depth(data: Any) -> int:
    """How deeply lists and objects nest in decoded JSON, found without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, level = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, level + 1))
        deepest = max(deepest, level)
    return deepest


def parse_body(request: Request) -> tuple[dict[str, Any], list[Upload]]:
    """Decode a body as JSON, form or multipart; return the fields and the file parts."""
    content_type = request.header("content-type") or ""
    media_type = content_type.split(";")[0].strip().lower()
    if not request.body.strip() and media_type in ("", "application/json"):
        return {}, []
    if media_type == "application/json":
        try:
            data = json.loads(request.body.decode("utf-8"))
            # An escaped lone surrogate ("\\ud800") is valid JSON but no text: refuse it here
            # rather than fail later when it is stored or answered.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeError, ValueError) as exc:
            raise ApiError(400, {"detail": f"JSON parse error - {exc}"}) from None
        except RecursionError:
            raise ApiError(400, {"detail": _TOO_DEEP}) from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise ApiError(400, {"detail": _TOO_DEEP})
        if not isinstance(data, dict):
            kind = type(data).__name__
            raise field_errors(
                {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {kind}."]}
            )
        return data, []
    if media_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qs(request.body.decode("ascii"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise ApiError(400, {"detail": "Form data is not valid UTF-8."}) from None
        return _form_fields(pairs.items()), []
    if media_type == "multipart/form-data":
        return _parse_multipart(content_type, request.body)
    shown = media_type or "(none)"
    raise ApiError(415, {"detail": f'Unsupported media type "{shown}" in request.'})


def _form_fields(pairs: Iterable[tuple[str, list[str]]]) -> dict[str, Any]:
    # A repeated field (flags=a&flags=b) keeps all its values; a single one is a plain string.
    return {name: values if len(values) > 1 else values[0] for name, values in pairs}


_PARAM = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def _header_params(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, raw in _PARAM.findall(value):
        if raw.startswith('"'):
            # HTML5 form encoding escapes a quote, CR and LF as %22, %0D and %0A; RFC 2045
            # uses backslashes.
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            raw = raw.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")
        if name.lower().endswith("*"):
            charset, _, encoded = raw.partition("''")
            try:
                raw = unquote(encoded, encoding=charset or "utf-8", errors="strict")
            except (LookupError, UnicodeDecodeError):
                raise ApiError(400, {"detail": "Malformed multipart header."}) from None
        params[name.lower().rstrip("*")] = raw
    return params


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, Any], list[Upload]]:
    boundary = _header_params(content_type).get("boundary")
    if not boundary:
        raise ApiError(
            400, {"detail": "Multipart form parse error - Invalid boundary in multipart: None"}
        )
    delimiter = b"--" + boundary.encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise ApiError(400, {"detail": "Multipart form parse error - the body is not complete."})
    fields: dict[str, list[str]] = {}
    uploads: list[Upload] = []
    for chunk in chunks[1:-1]:
        head, separator, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        if not separator:
            raise ApiError(400, {"detail": "Multipart form parse error - a part has no headers."})
        content = content.removesuffix(b"\r\n")
        try:
            lines = head.decode("utf-8").split("\r\n")
        except UnicodeDecodeError:
            raise ApiError(400, {"detail": "Multipart part headers are not valid UTF-8."}) from None
        # Part headers end at CRLF; a bare CR or LF left inside a value would split the
        # header it is later written into (an attachment's type is served back as one).
        if any(character in line for line in lines for character in "\r\n\0"):
            detail = "Multipart form parse error - a part header holds a bare CR, LF or NUL."
            raise ApiError(400, {"detail": detail})
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines)
        }
        disposition = _header_params(headers.get("content-disposition", ""))
        name = disposition.get("name")
        if name is None:
            raise ApiError(400, {"detail": "Multipart form parse error - a part has no name."})
        if "filename" in disposition:
            filename = disposition["filename"]
            media = headers.get("content-type", "application/octet-stream")
            if filename and not is_filename(filename):
                detail = (
                    f"Attachment file name {_shown(filename)} is not valid: use 1 to"
                    f" {MAX_ATTACHMENT_LABEL} characters and no control characters."
                )
                raise ApiError(400, {"detail": detail})
            if not is_media_type(media):
                detail = (
                    f"Attachment {_shown(filename)} has an invalid content type {_shown(media)}:"
                    " give type/subtype, optionally with ; name=value parameters, in at most"
                    f" {MAX_ATTACHMENT_LABEL} ASCII characters."
                )
                raise ApiError(400, {"detail": detail})
            uploads.append(Upload(filename, media, content))
            continue
        try:
            fields.setdefault(name, []).append(content.decode("utf-8"))
        except UnicodeDecodeError:
            raise ApiError(400, {name: ["Not valid UTF-8 text."]}) from None
    for upload in uploads:
        if upload.filename == "":
            raise ApiError(400, {"attachment": ["The submitted file has no name."]})
    return _form_fields(fields.items()), uploads


# --- field checks: each returns the clean value or appends to errors ----------------------


def text(
    data: dict[str, Any], name: str, errors: dict[str, list[str]], *, required: bool
) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            errors[name] = ["This field is required."]
        return None
    if not isinstance(value, str):
        errors[name] = ["Not a valid string."]
        return None
    if required and not value.strip():
        errors[name] = ["This field may not be blank."]
        return None
    return value


def check_email(value: str) -> bool:
    local = value.rpartition("@")[0]
    return len(value) <= 254 and len(local) <= 64 and _EMAIL.match(value) is not None


def email(data: dict[str, Any], name: str, errors: dict[str, list[str]]) -> str | None:
    value = text(data, name, errors, required=True)
    if value is not None and not check_email(value.strip()):
        errors[name] = ["Enter a valid email address."]
        return None
    return None if value is None else value.strip()


def flags(
    data: dict[str, Any], name: str, errors: dict[str, list[str]], *, required: bool
) -> list[str]:
    value = data.get(name)
    if value is None:
        if required:
            errors[name] = ["This field is required."]
        return []
    if isinstance(value, str):
        # The comma-separated form: "premium, onboarded".
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        errors[name] = [f'Expected a list of items but got type "{type(value).__name__}".']
        return []
    problems = {}
    for index, flag in enumerate(value):
        if not isinstance(flag, str):
            problems[index] = "Not a valid string."
        elif not flag.strip():
            problems[index] = "This field may not be blank."
    if problems:
        errors[name] = [f"Item {index}: {problem}" for index, problem in problems.items()]
        return []
    if required and not value:
        errors[name] = ["This list may not be empty."]
    return value


_TRUE = ("true", "True", "1")
_FALSE = ("false", "False", "0")


def boolean(
    data: dict[str, Any], name: str, errors: dict[str, list[str]], *, default: bool
) -> bool:
    value = data.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _TRUE + _FALSE:
        return value in _TRUE
    errors[name] = ["Must be a valid boolean."]
    return default
