"""NotifiedByClient: the one place that speaks HTTP to the NotifiedBy API.

The client owns a pooled ``requests.Session`` (shared by threads, rebuilt in a forked child),
the headers, timeouts, the deadline and size cap of each call, retries, error mapping and
logging. It knows nothing of resources: callers give a method and a path relative to ``/v1``
and get decoded JSON back, or a ``NotifiedByError``. No other module of the package imports
``requests``.
"""

from __future__ import annotations

import logging
import os
import platform
import random
import re
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Mapping
from http.client import RemoteDisconnected
from http.cookiejar import DefaultCookiePolicy
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager, ProxyManager
from urllib3.exceptions import ClosedPoolError, ConnectTimeoutError, MaxRetryError

from notifiedby import _responses
from notifiedby._deadline import POOL_CLASSES, set_deadline
from notifiedby._responses import IDEMPOTENT_METHODS
from notifiedby._urls import endpoint, is_loopback, resolve
from notifiedby._version import __version__
from notifiedby.conf import (
    MAX_RETRY_AFTER,
    ClientSettings,
    TimeoutArg,
    default_deadline,
    mask_secret,
    resolve_client_settings,
    to_seconds,
)
from notifiedby.conf import to_timeout as _to_timeout
from notifiedby.exceptions import (
    NotifiedByConnectionError,
    NotifiedByDeadlineExceeded,
    NotifiedByTimeoutError,
    NotifiedByValidationError,
)

__all__ = [
    "MAX_RETRY_AFTER",
    "NotifiedByClient",
    "NotifiedByInsecureURLWarning",
    "client_or_default",
    "endpoint",
    "get_default_client",
]

logger = logging.getLogger("notifiedby")

USER_AGENT: Final = (
    f"django-notifiedby/{__version__} python-requests/{requests.__version__} "
    f"Python/{platform.python_version()}"
)
#: Statuses that say "try again" without the server having done anything useful.
RETRY_STATUSES: Final = frozenset({502, 503, 504})
#: Seconds: the first retry waits up to BACKOFF_BASE, doubling per retry, never above BACKOFF_MAX.
BACKOFF_BASE: Final = 0.5
BACKOFF_MAX: Final = 8.0
#: Connections kept per host; above requests' default of 10 so 16+ threads can share a client.
POOL_SIZE: Final = 32
#: Bytes read from the socket at a time; the size cap and the deadline are checked between.
READ_CHUNK: Final = 64 * 1024
#: The shortest timeout an attempt is given: urllib3 refuses 0 and below, and an attempt
#: started a hair before the deadline should fail fast, not raise a ValueError.
_MIN_WAIT: Final = 0.001
#: A socket timeout set to the time left may fire a hair before the deadline by the clock.
_CLOCK_SLACK: Final = 0.01

_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")


class NotifiedByInsecureURLWarning(UserWarning):
    """Warned when the base URL is plain ``http://`` to a host that is not loopback."""


class _KeyAuth(requests.auth.AuthBase):
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
        return f"<_KeyAuth api_key={mask_secret(self._api_key)!r}>"


#: Refuse every cookie: an API client needs none, and the jar is the one piece of mutable
#: Session state that threads would otherwise share.
_NO_COOKIES: Final = DefaultCookiePolicy(allowed_domains=[])


class _DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections end every socket wait by the call's deadline
    (``notifiedby._deadline``), so a server trickling bytes can't outlast it."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOL_CLASSES

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> PoolManager:
        manager: PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):  # a SOCKS proxy's manager needs its own pools
            manager.pool_classes_by_scheme = POOL_CLASSES
        return manager


class NotifiedByClient:
    """A connection to the NotifiedBy API; share one per key and base URL.

    Settings left as None resolve as described in ``notifiedby.conf``: argument, Django
    setting, environment variable, default. Safe to share between threads; after a fork the
    child opens its own connections. ``close()`` releases pooled connections; a later call
    opens new ones. A ``session`` you pass stays yours: the client never closes it.
    """

    #: Backoff tuning, in seconds; class attributes so a test or a subclass can shrink them.
    backoff_base: float = BACKOFF_BASE
    backoff_max: float = BACKOFF_MAX
    max_retry_after: float = MAX_RETRY_AFTER

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        encryption_key: str | None = None,
        timeout: TimeoutArg | None = None,
        max_retries: int | None = None,
        deadline: float | None = None,
        max_response_bytes: int | None = None,
        session: requests.Session | None = None,
    ) -> None:
        settings = resolve_client_settings(
            api_key,
            base_url,
            encryption_key=encryption_key,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
        )
        self._setup(settings, session)

    @classmethod
    def from_settings(
        cls, settings: ClientSettings, *, session: requests.Session | None = None
    ) -> NotifiedByClient:
        """Return a client for settings already resolved."""
        client = cls.__new__(cls)
        client._setup(settings, session)
        return client

    def _setup(self, settings: ClientSettings, session: requests.Session | None) -> None:
        #: The resolved settings (their repr masks the keys).
        self.settings = settings
        #: The API root, always ending in ``/v1``.
        self.base_url = settings.base_url
        #: (connect, read) seconds, used when a call gives no timeout.
        self.timeout = settings.timeout
        #: How many times a failed call may be repeated (0: never).
        self.max_retries = settings.max_retries
        #: The largest answer read, in bytes; a bigger one is refused unread.
        self.max_response_bytes = settings.max_response_bytes
        self._base = urlsplit(self.base_url)
        self._auth = _KeyAuth(settings.api_key, settings.encryption_key)
        self._owns_session = session is None
        self._session = session
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._env_options: tuple[requests.Session, dict[str, Any]] | None = None
        _warn_if_insecure(self._base.scheme, self._base.hostname or "")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"api_key={mask_secret(self.settings.api_key)!r})"
        )

    @property
    def _secrets(self) -> tuple[str, ...]:
        """The keys, scrubbed from answers and errors in case a server echoes them (not an
        attribute, so ``vars(client)`` shows none)."""
        return tuple(filter(None, (self.settings.api_key, self.settings.encryption_key)))

    @property
    def deadline(self) -> float:
        """Seconds one call may take in all, every attempt and wait included, when the call
        gives no ``deadline`` or ``timeout`` of its own."""
        return self._deadline_for(self.timeout)

    def _deadline_for(self, timeout: tuple[float, float]) -> float:
        """Return the deadline of a call with ``timeout``: the setting, else derived."""
        if self.settings.deadline is not None:
            return self.settings.deadline
        longest_wait = max(self.backoff_max, self.max_retry_after)
        return default_deadline(timeout, self.max_retries, longest_wait)

    # --- Lifecycle. ------------------------------------------------------------------------

    def _get_session(self) -> requests.Session:
        session, pid = self._session, os.getpid()
        if session is not None and self._pid == pid:
            return session
        if self._pid != pid:
            # We are a forked child. A lock some parent thread held at fork time stays held
            # forever here, so start with a new one.
            self._lock = threading.Lock()
        with self._lock:
            if self._pid != pid and not self._owns_session and self._session is not None:
                # The caller's session: drop the sockets inherited from the parent, whose
                # streams the parent is still reading.
                for adapter in self._session.adapters.values():
                    adapter.close()
            elif self._owns_session and (self._session is None or self._pid != pid):
                self._session = self._new_session()
            self._pid = pid
            assert self._session is not None
            return self._session

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        adapter = _DeadlineAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.cookies.set_policy(_NO_COOKIES)
        return session

    def close(self) -> None:
        """Release pooled connections (a session the caller passed is left open)."""
        with self._lock:
            session, self._session = self._session, None
            if not self._owns_session:
                self._session = session
            elif session is not None and self._pid == os.getpid():
                session.close()

    def __enter__(self) -> NotifiedByClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- Verbs. ----------------------------------------------------------------------------

    def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        timeout: TimeoutArg | None = None,
        deadline: float | None = None,
    ) -> Any:
        """Send a GET and return the decoded JSON."""
        return self.request("GET", path, params=params, timeout=timeout, deadline=deadline)

    def post(
        self,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        timeout: TimeoutArg | None = None,
        deadline: float | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send a POST and return the decoded JSON."""
        return self.request(
            "POST",
            path,
            json=json,
            data=data,
            files=files,
            timeout=timeout,
            deadline=deadline,
            idempotency_key=idempotency_key,
        )

    def delete(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        timeout: TimeoutArg | None = None,
        deadline: float | None = None,
    ) -> Any:
        """Send a DELETE and return the decoded JSON (None for 204)."""
        return self.request("DELETE", path, params=params, timeout=timeout, deadline=deadline)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Any = None,
        timeout: TimeoutArg | None = None,
        deadline: float | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one logical call, retrying where safe; return the decoded JSON (None if empty).

        ``path`` is relative to ``/v1`` or an absolute URL under the base URL (a ``next``
        link). Every POST carries an ``Idempotency-Key``: ``idempotency_key`` or a new one,
        the same on each retry. ``deadline`` (seconds) bounds the whole call, retries
        included; without it, the client's setting or one derived from ``timeout``. Raise a
        NotifiedByError subclass for any failure.
        """
        method = method.upper()
        url, rel_path = resolve(path, self.base_url)
        call_timeout = self.timeout if timeout is None else _call_timeout(timeout)
        call_deadline = (
            self._deadline_for(call_timeout) if deadline is None else _call_deadline(deadline)
        )
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = _check_idempotency_key(idempotency_key)
        elif method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        if json is not None and (data is not None or files is not None):
            raise TypeError("Pass json, or data and files, not both.")
        session = self._get_session()
        try:
            # Prepare once: a multipart body reads its files here, so every retry sends the
            # same bytes instead of an exhausted file.
            prepared = session.prepare_request(
                requests.Request(
                    method, url, params=params, json=json, data=data, files=files,
                    headers=headers, auth=self._auth,
                )
            )  # fmt: skip
        except UnicodeEncodeError as exc:
            # Text with a lone surrogate (from a bad decode upstream) has no UTF-8 form.
            bad = exc.object[exc.start : exc.end]
            msg = f"The request cannot be encoded as UTF-8: {exc.reason} at {bad!a}."
            raise NotifiedByValidationError(msg, method=method, path=rel_path) from exc
        except (requests.exceptions.InvalidJSONError, TypeError) as exc:
            if json is None:
                raise
            msg = f"The request body cannot be encoded as JSON: {exc}"
            raise NotifiedByValidationError(msg, method=method, path=rel_path) from exc
        response = self._send(session, prepared, rel_path, call_timeout, call_deadline)
        return _responses.decode(
            response, method, rel_path, self._secrets, self.settings.api_key_source
        )

    def _send(
        self,
        session: requests.Session,
        prepared: requests.PreparedRequest,
        rel_path: str,
        timeout: tuple[float, float],
        deadline: float,
    ) -> requests.Response:
        """Send one prepared request, again while ``_should_retry`` allows and ``deadline``
        (seconds, for the whole call) leaves time; return the last answer with its body
        read, or raise the NotifiedBy error for the last failure."""
        method = prepared.method or "GET"
        options = self._environment_options(session, prepared.url or "")
        at = time.monotonic() + deadline
        set_deadline(at)
        try:
            attempt = 0
            while True:
                attempt += 1
                response: requests.Response | None = None
                error: requests.RequestException | None = None
                started = time.monotonic()
                left = max(at - started, _MIN_WAIT)
                try:
                    answer = session.send(
                        prepared,
                        timeout=(min(timeout[0], left), min(timeout[1], left)),
                        allow_redirects=False,
                        **options,
                    )
                    self._read_body(answer, method, rel_path, at, deadline)
                    response = answer
                except requests.RequestException as exc:
                    error = exc
                outcome = type(error).__name__ if response is None else str(response.status_code)
                elapsed_ms = (time.monotonic() - started) * 1000
                logger.debug(
                    "%s %s -> %s in %.0f ms (attempt %d)",
                    method, rel_path, outcome, elapsed_ms, attempt,
                )  # fmt: skip
                if not self._should_retry(method, response, error, attempt):
                    break
                delay = self._backoff(
                    attempt, None if response is None else _responses.retry_after(response.headers)
                )
                now = time.monotonic()
                if now + delay >= at:
                    if now < at - _CLOCK_SLACK:  # else the deadline error says it all
                        logger.warning(
                            "Not retrying %s %s after %s: waiting %.2f s would pass its %g s "
                            "deadline",
                            method, rel_path, outcome, delay, deadline,
                        )  # fmt: skip
                    break
                logger.warning(
                    "Retrying %s %s in %.2f s after %s (attempt %d of %d)",
                    method, rel_path, delay, outcome, attempt + 1, self.max_retries + 1,
                )  # fmt: skip
                time.sleep(delay)
        finally:
            set_deadline(None)
        if error is not None:
            if time.monotonic() >= at - _CLOCK_SLACK:
                raise self._deadline_error(method, rel_path, deadline, error) from error
            raise self._transport_error(method, rel_path, error, timeout) from error
        assert response is not None
        return response

    def _read_body(
        self,
        response: requests.Response,
        method: str,
        rel_path: str,
        at: float,
        deadline: float,
    ) -> None:
        """Read the body into ``response`` (so ``response.content`` has it), refusing one
        larger than ``max_response_bytes`` without reading the rest, and stopping at the
        deadline (``at``, in monotonic seconds) between chunks."""
        limit = self.max_response_bytes
        announced = response.headers.get("Content-Length", "")
        if announced.isascii() and announced.isdigit() and int(announced) > limit:
            response.close()
            raise _responses.too_large(
                response, method, rel_path, limit, int(announced), self._secrets
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(READ_CHUNK):
            size += len(chunk)
            if size > limit:
                response.close()
                raise _responses.too_large(response, method, rel_path, limit, None, self._secrets)
            chunks.append(chunk)
            # The own session's sockets stop at the deadline by themselves; a session the
            # caller gave is stopped here, between chunks.
            if time.monotonic() >= at:
                response.close()
                raise self._deadline_error(method, rel_path, deadline, None)
        # What requests' own Response.content stores; reading it ourselves is what bounds it.
        response._content = b"".join(chunks)

    def _environment_options(self, session: requests.Session, url: str) -> dict[str, Any]:
        """Return the proxies and TLS options requests reads from the environment, read once
        per session: reading them costs as much as the rest of a call, and every URL a client
        sends to is on its one base URL's host."""
        cached = self._env_options
        if cached is None or cached[0] is not session:
            options = dict(session.merge_environment_settings(url, {}, None, None, None))
            options["stream"] = True  # _read_body reads the body, within the cap and deadline
            cached = self._env_options = (session, options)
        return cached[1]

    # --- Retry policy: deciding, waiting and randomness, kept apart so tests can pin each. --

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
            if _never_sent(error):
                return True  # nothing reached the server: safe for every method
            return method in IDEMPOTENT_METHODS and _is_transient(error)
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

    # --- Helpers. --------------------------------------------------------------------------

    def _deadline_error(
        self,
        method: str,
        rel_path: str,
        deadline: float,
        error: requests.RequestException | None,
    ) -> NotifiedByDeadlineExceeded:
        """Return the error for a call that ran out of time (during ``error``, if any)."""
        never_sent = error is not None and _never_sent(error)
        tail = "was not sent" if never_sent else "may have reached the server"
        msg = (
            f"{method} {rel_path} did not finish within its deadline of {deadline:g} s "
            f"(every attempt and wait included) on {self._base.netloc}; the request {tail}."
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
            maybe_sent=not never_sent,
        )

    def _transport_error(
        self,
        method: str,
        rel_path: str,
        error: requests.RequestException,
        timeout: tuple[float, float],
    ) -> NotifiedByConnectionError:
        """Return the NotifiedBy error for a failure that produced no answer."""
        host = self._base.netloc
        where = f"{method} {rel_path}"
        never_sent = _never_sent(error)
        if never_sent:
            tail = "the request was not sent"
        else:
            tail = "the request may have reached the server"
        hint = None
        if isinstance(error, requests.Timeout):
            phase, seconds = (
                ("connecting to", timeout[0]) if never_sent else ("waiting for", timeout[1])
            )
            msg = f"Timed out {phase} {host} after {seconds:g} s ({where}); {tail}."
            hint = "raise the timeout (NOTIFIEDBY_TIMEOUT or timeout=) if the server is slow"
            return NotifiedByTimeoutError(
                msg, hint=hint, method=method, path=rel_path, maybe_sent=not never_sent
            )
        reason = _reason(error)
        if never_sent:
            msg = f"Could not connect to {host} ({reason}) for {where}; {tail}."
            hint = f"check that the server at {self.base_url} is up, or NOTIFIEDBY_BASE_URL"
        else:
            msg = f"The connection to {host} failed ({reason}) during {where}; {tail}."
            if method not in IDEMPOTENT_METHODS:
                hint = "resend with the same idempotency_key so the server can spot a duplicate"
        return NotifiedByConnectionError(
            msg, hint=hint, method=method, path=rel_path, maybe_sent=not never_sent
        )


_default_lock = threading.Lock()
_default_client: NotifiedByClient | None = None


def get_default_client() -> NotifiedByClient:
    """Return the client built from settings, reused (with its connection pool) while the
    resolved settings stay the same and rebuilt when they change (``override_settings``)."""
    global _default_client
    settings = resolve_client_settings()
    with _default_lock:
        client = _default_client
        if client is None or client.settings != settings:
            client = _default_client = NotifiedByClient.from_settings(settings)
        return client


# --- Classifying transport errors. ---------------------------------------------------------


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


def _never_sent(error: requests.RequestException) -> bool:
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


def _is_transient(error: requests.RequestException) -> bool:
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


def _reason(error: requests.RequestException) -> str:
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


def _call_timeout(timeout: TimeoutArg) -> tuple[float, float]:
    try:
        return _to_timeout(timeout)
    except ValueError as exc:
        raise NotifiedByValidationError(f"timeout {exc}") from None


def _call_deadline(deadline: float) -> float:
    try:
        return to_seconds(deadline)
    except ValueError as exc:
        raise NotifiedByValidationError(f"deadline {exc}") from None


def _check_idempotency_key(key: str) -> str:
    if not isinstance(key, str) or not _IDEMPOTENCY_KEY.fullmatch(key):
        msg = "An idempotency key must be 1 to 255 printable ASCII characters without spaces."
        raise NotifiedByValidationError(msg)
    return key


def _warn_if_insecure(scheme: str, host: str) -> None:
    if scheme == "http" and not is_loopback(host):
        warnings.warn(
            f"The NotifiedBy base URL uses plain http:// to {host}: the API key would cross "
            "the network unencrypted. Use https:// for anything but a local sandbox.",
            NotifiedByInsecureURLWarning,
            stacklevel=4,
        )


def client_or_default(client: NotifiedByClient | None) -> NotifiedByClient:
    """Return ``client``, or the default client (:func:`get_default_client`) when it is None."""
    return get_default_client() if client is None else client
