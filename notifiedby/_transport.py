"""One attempt's request and answer, as :class:`~notifiedby.client.NotifiedByClient` sends it.

The key headers added at send time, a request prepared once for all of a call's attempts,
an answer's body read within the size cap and the deadline, and the NotifiedBy error for a
failure that produced no answer.
"""

from __future__ import annotations

import platform
import re
import time
from typing import Final

import requests

from notifiedby import _responses
from notifiedby._responses import IDEMPOTENT_METHODS
from notifiedby._retry import never_sent, reason
from notifiedby._version import __version__
from notifiedby.conf import mask_secret
from notifiedby.exceptions import (
    NotifiedByConnectionError,
    NotifiedByDeadlineExceeded,
    NotifiedByInvalidArgument,
    NotifiedByTimeoutError,
)

__all__ = [
    "USER_AGENT",
    "KeyAuth",
    "check_idempotency_key",
    "deadline_error",
    "prepare",
    "read_body",
    "transport_error",
]

USER_AGENT: Final = (
    f"django-notifiedby/{__version__} python-requests/{requests.__version__} "
    f"Python/{platform.python_version()}"
)
#: Bytes read from the socket at a time; the size cap and the deadline are checked between.
READ_CHUNK: Final = 64 * 1024

_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class KeyAuth(requests.auth.AuthBase):
    """Add the key headers at send time, so they never sit in ``session.headers`` and so that
    requests does not replace them with credentials from ``~/.netrc``."""

    def __init__(self, api_key: str, encryption_key: str | None) -> None:
        self._api_key = api_key
        self._encryption_key = encryption_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Api-Key {self._api_key}"
        if self._encryption_key:
            request.headers["Encryption-Key"] = self._encryption_key
        return request

    def __repr__(self) -> str:
        return f"<KeyAuth api_key={mask_secret(self._api_key)!r}>"


def check_idempotency_key(key: str) -> str:
    """Return ``key`` if it can travel as an ``Idempotency-Key`` header, else raise."""
    if not isinstance(key, str) or not _IDEMPOTENCY_KEY.fullmatch(key):
        msg = "An idempotency key must be 1 to 255 printable ASCII characters without spaces."
        raise NotifiedByInvalidArgument(msg, argument="idempotency_key")
    return key


def prepare(
    session: requests.Session,
    request: requests.Request,
    rel_path: str,
) -> requests.PreparedRequest:
    """Return ``request`` prepared by ``session``, or raise NotifiedByInvalidArgument for a
    body that cannot be encoded.

    Prepared once per call: a multipart body reads its files here, so every retry sends the
    same bytes instead of an exhausted file.
    """
    try:
        return session.prepare_request(request)
    except UnicodeEncodeError as exc:
        # Text with a lone surrogate (from a bad decode upstream) has no UTF-8 form.
        bad = exc.object[exc.start : exc.end]
        msg = f"The request cannot be encoded as UTF-8: {exc.reason} at {bad!a}."
        raise NotifiedByInvalidArgument(msg, method=request.method, path=rel_path) from exc
    except (requests.exceptions.InvalidJSONError, TypeError) as exc:
        if request.json is None:
            raise
        msg = f"The request body cannot be encoded as JSON: {exc}"
        raise NotifiedByInvalidArgument(
            msg, argument="json", method=request.method, path=rel_path
        ) from exc


def read_body(
    response: requests.Response,
    method: str,
    rel_path: str,
    limit: int,
    at: float,
    deadline: float,
    host: str,
    secrets: tuple[str, ...],
) -> None:
    """Read the body into ``response`` (so ``response.content`` has it), refusing one
    larger than ``limit`` bytes without reading the rest, and stopping at the deadline
    (``at``, in monotonic seconds; ``deadline`` seconds after the call began) between chunks.
    """
    announced = response.headers.get("Content-Length", "")
    if announced.isascii() and announced.isdigit() and int(announced) > limit:
        response.close()
        raise _responses.too_large(response, method, rel_path, limit, int(announced), secrets)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            response.close()
            raise _responses.too_large(response, method, rel_path, limit, None, secrets)
        chunks.append(chunk)
        # The client's own session's sockets stop at the deadline by themselves; a session
        # the caller gave is stopped here, between chunks.
        if time.monotonic() >= at:
            response.close()
            raise deadline_error(method, rel_path, deadline, host, None)
    # What requests' own Response.content stores; reading it ourselves is what bounds it.
    response._content = b"".join(chunks)


def deadline_error(
    method: str,
    rel_path: str,
    deadline: float,
    host: str,
    error: requests.RequestException | None,
) -> NotifiedByDeadlineExceeded:
    """Return the error for a call to ``host`` that ran out of time (during ``error``, if
    any)."""
    not_sent = error is not None and never_sent(error)
    tail = "was not sent" if not_sent else "may have reached the server"
    msg = (
        f"{method} {rel_path} did not finish within its deadline of {deadline:g} s "
        f"(every attempt and wait included) on {host}; the request {tail}."
    )
    hint = (
        "allow more time with NOTIFIEDBY_DEADLINE or deadline=; unset, it is derived from "
        "NOTIFIEDBY_TIMEOUT and NOTIFIEDBY_MAX_RETRIES"
    )
    return NotifiedByDeadlineExceeded(
        msg,
        deadline=deadline,
        hint=hint,
        method=method,
        path=rel_path,
        maybe_sent=not not_sent,
    )


def transport_error(
    method: str,
    rel_path: str,
    error: requests.RequestException,
    timeout: tuple[float, float],
    base_url: str,
    host: str,
) -> NotifiedByConnectionError:
    """Return the NotifiedBy error for a failure that produced no answer from ``host``, the
    host of ``base_url``."""
    where = f"{method} {rel_path}"
    not_sent = never_sent(error)
    tail = "the request " + ("was not sent" if not_sent else "may have reached the server")
    hint = None
    if isinstance(error, requests.Timeout):
        phase, seconds = ("connecting to", timeout[0]) if not_sent else ("waiting for", timeout[1])
        msg = f"Timed out {phase} {host} after {seconds:g} s ({where}); {tail}."
        hint = "raise the timeout (NOTIFIEDBY_TIMEOUT or timeout=) if the server is slow"
        return NotifiedByTimeoutError(
            msg, hint=hint, method=method, path=rel_path, maybe_sent=not not_sent
        )
    why = reason(error)
    if not_sent:
        msg = f"Could not connect to {host} ({why}) for {where}; {tail}."
        hint = f"check that the server at {base_url} is up, or NOTIFIEDBY_BASE_URL"
    else:
        msg = f"The connection to {host} failed ({why}) during {where}; {tail}."
        if method not in IDEMPOTENT_METHODS:
            hint = "resend with the same idempotency_key so the server can spot a duplicate"
    return NotifiedByConnectionError(
        msg, hint=hint, method=method, path=rel_path, maybe_sent=not not_sent
    )
