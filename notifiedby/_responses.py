"""Turn the API's answers into values, or into NotifiedBy errors with readable messages.

Error bodies come in every shape of contract section 2: ``{"detail": ...}``, ``{"error":
...}``, ``{"message": ...}``, field errors with list or string values, a proxy's HTML page,
or nothing at all. This module reads them all; it does no I/O and does not import requests.
A key the server echoes is replaced by "…" in everything it returns or puts on an error.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Final, Protocol

from notifiedby.exceptions import (
    NotifiedByAPIError,
    NotifiedByAuthError,
    NotifiedByNotFoundError,
    NotifiedByRateLimitError,
    NotifiedByServerError,
    NotifiedByValidationError,
)

__all__ = [
    "IDEMPOTENT_METHODS",
    "Answer",
    "api_error",
    "decode",
    "describe",
    "excerpt",
    "field_errors",
    "is_daily_quota",
    "redact",
    "redact_headers",
    "retry_after",
    "too_large",
]

#: Methods that are safe to repeat even if the first try may have reached the server.
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})

#: Status -> error class; other 4xx are plain NotifiedByAPIError, 5xx NotifiedByServerError.
_STATUS_ERRORS: Final[dict[int, type[NotifiedByAPIError]]] = {
    400: NotifiedByValidationError,
    401: NotifiedByAuthError,
    403: NotifiedByAuthError,
    404: NotifiedByNotFoundError,
    429: NotifiedByRateLimitError,
}
#: Keys under which frameworks put errors that belong to no field; shown without a prefix.
_NON_FIELD_KEYS: Final = frozenset({"non_field_errors", "__all__"})
_MESSAGE_KEYS: Final = ("detail", "error", "message")
#: Characters of a non-JSON body shown in a message; ten times that is kept on the error.
EXCERPT_LENGTH: Final = 200


class Answer(Protocol):
    """What this module needs of an HTTP response (a ``requests.Response`` fits)."""

    @property
    def status_code(self) -> int: ...

    @property
    def reason(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


def decode(
    answer: Answer,
    method: str,
    path: str,
    secrets: tuple[str, ...] = (),
    key_source: str | None = None,
) -> Any:
    """Return the decoded JSON of a 2xx answer (None when empty), or raise its error.

    ``secrets`` are scrubbed from the answer and any error, in case a server echoes them;
    ``key_source`` says where the API key came from, for the hint of a 401.
    """
    status = answer.status_code
    if not 200 <= status < 300:
        raise api_error(answer, method, path, secrets, key_source)
    content = answer.content
    if status == 204 or not content.strip():
        return None
    try:
        decoded = json.loads(content)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to decode
        text = excerpt(_redact(_text(content), secrets))
        kind = answer.headers.get("Content-Type", "no content type")
        msg = f"Expected JSON but got {kind}: {text!r} (HTTP {status} on {method} {path})"
        hint = "check that NOTIFIEDBY_BASE_URL points at the NotifiedBy API"
        raise NotifiedByAPIError(
            msg, hint=hint, status_code=status, method=method, path=path, body=text
        ) from None
    # Only an echo sent verbatim is looked for here: scanning every answer costs every call.
    if any(secret.encode() in content for secret in secrets):
        return redact(decoded, secrets)
    return decoded


def api_error(
    answer: Answer,
    method: str,
    path: str,
    secrets: tuple[str, ...] = (),
    key_source: str | None = None,
) -> NotifiedByAPIError:
    """Return the error for a non-2xx answer: its class from the status, its message from
    whatever the body holds."""
    status = answer.status_code
    body = _body(answer.content, secrets)
    headers = redact_headers(answer.headers, secrets)
    text = describe(body) or _redact(answer.reason or "no reason given", secrets)
    default = NotifiedByServerError if status >= 500 else NotifiedByAPIError
    cls = _STATUS_ERRORS.get(status, default)
    message = f"{text} (HTTP {status} on {method} {path})"
    options: dict[str, Any] = {
        "status_code": status,
        "method": method,
        "path": path,
        "body": body,
        "field_errors": field_errors(body),
        "headers": headers,
    }
    if cls is NotifiedByRateLimitError:
        delay, daily = retry_after(answer.headers), _says_daily_limit(body)
        hint = "the daily send limit is used up; retrying today will not help" if daily else None
        if delay is not None and not daily:
            hint = f"the server asked to wait {delay:g} s before trying again"
        return NotifiedByRateLimitError(
            message, retry_after=delay, daily_quota=daily, hint=hint, **options
        )
    return cls(message, hint=_hint(status, method, headers, key_source), **options)


def too_large(
    answer: Answer,
    method: str,
    path: str,
    limit: int,
    announced: int | None,
    secrets: tuple[str, ...] = (),
) -> NotifiedByAPIError:
    """Return the error for an answer above ``limit`` bytes, refused without reading it all;
    ``announced`` is its Content-Length, when it gave one. Reads no body."""
    status = answer.status_code
    if announced is None:
        fate = f"was dropped after its first {_bytes(limit)}"
    else:
        fate = f"({announced:,} bytes announced) was not read"
    msg = (
        f"The answer is larger than the limit of {_bytes(limit)} (NOTIFIEDBY_MAX_RESPONSE_BYTES)"
        f" and {fate} (HTTP {status} on {method} {path})"
    )
    hint = (
        "check NOTIFIEDBY_BASE_URL: the API's answers are small; to accept larger ones, raise "
        "NOTIFIEDBY_MAX_RESPONSE_BYTES (or max_response_bytes=)"
    )
    headers = redact_headers(answer.headers, secrets)
    return NotifiedByAPIError(
        msg, hint=hint, status_code=status, method=method, path=path, headers=headers
    )


def redact(value: Any, secrets: tuple[str, ...]) -> Any:
    """Return ``value`` (text, or decoded JSON) with each secret in it replaced by "…"."""
    if isinstance(value, str):
        return _redact(value, secrets)
    if not secrets or not isinstance(value, (dict, list)):
        return value
    # Through JSON text, where a secret shows in its escaped form: no recursion here, so a
    # body nested a thousand deep is redacted like any other.
    text = json.dumps(value, ensure_ascii=False)
    redacted = _redact(text, tuple(json.dumps(s, ensure_ascii=False)[1:-1] for s in secrets))
    if redacted == text:
        return value
    try:
        return json.loads(redacted)
    except ValueError:  # a secret that straddled JSON syntax: keep the text, still redacted
        return redacted


def redact_headers(headers: Mapping[str, str], secrets: tuple[str, ...]) -> dict[str, str]:
    """Return ``headers`` as a dict, each secret in a name or value replaced by "…"."""
    return {_redact(name, secrets): _redact(value, secrets) for name, value in headers.items()}


def _hint(
    status: int, method: str, headers: Mapping[str, str], key_source: str | None
) -> str | None:
    if status == 401:
        return "check the API key" + (f", which came from {key_source}" if key_source else "")
    if status == 403:
        return "the API key is wrong, or this feature is not enabled for your account"
    if 300 <= status < 400:
        where = headers.get("Location", "elsewhere")
        return f"the server redirected to {where}; check NOTIFIEDBY_BASE_URL"
    if status >= 500 and method not in IDEMPOTENT_METHODS:
        # Such a call was not retried: the server may have acted before failing.
        return "it may have been acted on; resend with the same idempotency_key to be safe"
    return None


def describe(body: Any) -> str:
    """Return one readable sentence from any error body shape ("" for an empty body)."""
    if isinstance(body, dict):
        for key in _MESSAGE_KEYS:
            if body.get(key) not in (None, "", [], {}):
                return _flatten(body[key])
        fields = field_errors(body)
        if fields:
            return "; ".join(
                " ".join(m) if k in _NON_FIELD_KEYS else f"{k}: {' '.join(m)}"
                for k, m in fields.items()
            )
        return excerpt(json.dumps(body)) if body else ""
    if isinstance(body, str):
        return excerpt(body)
    return "" if body is None else _flatten(body)


def field_errors(body: Any) -> dict[str, list[str]]:
    """Return ``{"field": [messages]}`` when the body is a field-errors dict, else {}."""
    if not isinstance(body, dict) or any(k in body for k in _MESSAGE_KEYS):
        return {}
    errors: dict[str, list[str]] = {}
    for key, value in body.items():
        if isinstance(value, str):
            errors[str(key)] = [value]
        elif isinstance(value, list):
            errors[str(key)] = [_flatten(v) for v in value]
        elif isinstance(value, dict):
            errors[str(key)] = [_flatten(value)]
    return errors


def excerpt(text: str) -> str:
    """Return a short one-line excerpt of a text or HTML body (an HTML page's title)."""
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        text = title.group(1)
    elif "<" in text:
        text = re.sub(r"<(script|style)\b.*?</\1>|<[^>]*>", " ", text, flags=re.DOTALL | re.I)
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the ``Retry-After`` delay in seconds (sent as seconds or as an HTTP date)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def is_daily_quota(answer: Answer) -> bool:
    """Return whether a 429 is the daily send limit, which no short wait will lift."""
    return _says_daily_limit(_body(answer.content))


def _says_daily_limit(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    return "daily limit" in " ".join(str(body.get(k, "")) for k in _MESSAGE_KEYS).lower()


def _body(content: bytes, secrets: tuple[str, ...] = ()) -> Any:
    """Return the decoded JSON body, else the (long-truncated) text, else None when empty;
    redacted before it is truncated, so no part of a secret is left at the cut."""
    if not content.strip():
        return None
    try:
        return redact(json.loads(content), secrets)
    except (ValueError, RecursionError):
        return _redact(_text(content), secrets)[: EXCERPT_LENGTH * 10]


def _text(content: bytes) -> str:
    return content.decode("utf-8", errors="replace")


def _flatten(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " ".join(_flatten(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items())
    return str(value)


def _bytes(size: int) -> str:
    return f"{size // 2**20} MiB" if size % 2**20 == 0 else f"{size:,} bytes"


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "…")
    return text
