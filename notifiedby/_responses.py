"""Turn the API's answers into values, or into NotifiedBy errors with readable messages.

Error bodies come in every shape of contract section 2: ``{"detail": ...}``, ``{"error":
...}``, ``{"message": ...}``, field errors with list or string values, a proxy's HTML page,
or nothing at all. This module reads them all; it does no I/O and does not import requests.
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
    "retry_after",
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

    ``secrets`` are scrubbed from any text put in an error, in case a server echoes them;
    ``key_source`` says where the API key came from, for the hint of a 401.
    """
    status = answer.status_code
    if not 200 <= status < 300:
        raise api_error(answer, method, path, secrets, key_source)
    if status == 204 or not answer.content.strip():
        return None
    try:
        return json.loads(answer.content)
    except ValueError:
        text = _redact(excerpt(_text(answer.content)), secrets)
        kind = answer.headers.get("Content-Type", "no content type")
        msg = f"Expected JSON but got {kind}: {text!r} (HTTP {status} on {method} {path})"
        hint = "check that NOTIFIEDBY_BASE_URL points at the NotifiedBy API"
        raise NotifiedByAPIError(
            msg, hint=hint, status_code=status, method=method, path=path, body=text
        ) from None


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
    body = _body(answer.content)
    if isinstance(body, str):
        body = _redact(body, secrets)
    text = _redact(describe(body), secrets) or (answer.reason or "no reason given")
    default = NotifiedByServerError if status >= 500 else NotifiedByAPIError
    cls = _STATUS_ERRORS.get(status, default)
    message = f"{text} (HTTP {status} on {method} {path})"
    options: dict[str, Any] = {
        "status_code": status,
        "method": method,
        "path": path,
        "body": body,
        "field_errors": field_errors(body),
        "headers": dict(answer.headers),
    }
    if cls is NotifiedByRateLimitError:
        delay, daily = retry_after(answer.headers), _says_daily_limit(body)
        hint = "the daily send limit is used up; retrying today will not help" if daily else None
        if delay is not None and not daily:
            hint = f"the server asked to wait {delay:g} s before trying again"
        return NotifiedByRateLimitError(
            message, retry_after=delay, daily_quota=daily, hint=hint, **options
        )
    return cls(message, hint=_hint(status, method, answer.headers, key_source), **options)


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


def _body(content: bytes) -> Any:
    """Return the decoded JSON body, else the (long-truncated) text, else None when empty."""
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except ValueError:
        return _text(content)[: EXCERPT_LENGTH * 10]


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


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "…")
    return text
