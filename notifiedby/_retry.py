"""The client's retry policy, and what a transport failure proves about the request.

``RetryPolicy`` is the part of :class:`~notifiedby.client.NotifiedByClient` that decides: may
an attempt that failed go again, and after how long. The functions below classify requests'
exceptions for it and for the client's error messages. Nothing here does I/O.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from http.client import RemoteDisconnected
from typing import Final

import requests
from urllib3.exceptions import ClosedPoolError, ConnectTimeoutError, MaxRetryError

from notifiedby import _responses
from notifiedby._responses import IDEMPOTENT_METHODS

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_MAX",
    "RETRY_STATUSES",
    "RetryPolicy",
    "is_transient",
    "never_sent",
    "reason",
]

#: Statuses that say "try again" without the server having done anything useful.
RETRY_STATUSES: Final = frozenset({502, 503, 504})
#: Seconds: the first retry waits up to BACKOFF_BASE, doubling per retry, never above BACKOFF_MAX.
BACKOFF_BASE: Final = 0.5
BACKOFF_MAX: Final = 8.0


class RetryPolicy:
    """Deciding, waiting and randomness, kept apart so that tests can pin each.

    A base class of the client rather than an object it holds, so the retry loop calls these
    as the client's own methods, and a test or a subclass replaces one on the client.
    """

    #: Set by the client (see its attributes of the same names).
    max_retries: int
    backoff_base: float
    backoff_max: float
    max_retry_after: float

    def _should_retry(
        self,
        method: str,
        response: requests.Response | None,
        error: requests.RequestException | None,
        attempt: int,
    ) -> bool:
        """Return whether attempt number ``attempt`` (1-based), which just failed, may be
        repeated. A POST is repeated only when the server cannot have acted on it."""
        if attempt > self.max_retries:
            return False
        if error is not None:
            if never_sent(error):
                return True  # nothing reached the server: safe for every method
            return method in IDEMPOTENT_METHODS and is_transient(error)
        if response is None:
            return False
        retry_after = _responses.retry_after(response.headers)
        if retry_after is not None and retry_after > self.max_retry_after:
            return False
        if response.status_code == 429:
            # A 429 is a refusal, so even a POST may go again; the daily quota never lifts soon.
            return retry_after is not None and not _responses.is_daily_quota(response)
        return method in IDEMPOTENT_METHODS and response.status_code in RETRY_STATUSES

    def _backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Return the seconds to wait before retry ``attempt``: exponential with full jitter,
        capped, and never shorter than the server's ``Retry-After``."""
        delay = self._jitter(min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))
        return delay if retry_after is None else max(delay, retry_after)

    def _jitter(self, seconds: float) -> float:
        """Return a random delay in [0, seconds], so clients that failed together spread out."""
        return random.uniform(0, seconds)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """Yield the error and what it wraps: args, MaxRetryError reasons, explicit causes."""
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, MaxRetryError) and current.reason is not None:
            todo.append(current.reason)
        todo.extend(a for a in current.args if isinstance(a, BaseException))
        # __cause__ only: an implicit __context__ may be any error that was being handled
        # nearby, and must not be mistaken for the reason of this one.
        if current.__cause__ is not None:
            todo.append(current.__cause__)


def never_sent(error: requests.RequestException) -> bool:
    """Return whether the error proves no byte of the request reached the server.

    Only a failure to open the connection proves it: urllib3's ConnectTimeoutError and its
    subclass NewConnectionError (refused, unreachable, DNS), or ClosedPoolError (raised before
    a connection is taken). A reset, a read timeout or a TLS error may come after the request
    was written, so they prove nothing.
    """
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError) or isinstance(
        error, (requests.exceptions.SSLError, requests.exceptions.ProxyError)
    ):
        return False
    return any(isinstance(c, (ConnectTimeoutError, ClosedPoolError)) for c in _causes(error))


def is_transient(error: requests.RequestException) -> bool:
    """Return whether trying again could help (a bad certificate will not get better)."""
    if isinstance(error, requests.exceptions.SSLError):
        return False
    return isinstance(
        error,
        (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ),
    )


def reason(error: requests.RequestException) -> str:
    """Return a few words on why the connection failed, from the innermost socket error."""
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS error"
    for cause in _causes(error):
        # By name: urllib3 1.26, which requests still allows, has no NameResolutionError.
        if type(cause).__name__ == "NameResolutionError":
            return "could not resolve the host name"
        if isinstance(cause, RemoteDisconnected):
            return "closed without an answer"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
    return type(error).__name__
