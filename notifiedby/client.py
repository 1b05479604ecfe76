"""NotifiedByClient: the one place that speaks HTTP to the NotifiedBy API.

The client owns a pooled ``requests.Session`` (shared by threads, rebuilt in a forked child),
the headers, timeouts, the deadline and size cap of each call, retries, error mapping and
logging. It knows nothing of resources: callers give a method and a path relative to ``/v1``
and get decoded JSON back, or a ``NotifiedByError``. Its helper modules hold the pieces:
``_session`` the session, ``_transport`` one attempt's request and answer, ``_retry`` the
retry policy. These four are the only modules of the package that import ``requests``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import requests

from notifiedby import _responses
from notifiedby._deadline import set_deadline
from notifiedby._retry import BACKOFF_BASE, BACKOFF_MAX, RetryPolicy
from notifiedby._session import SessionHolder
from notifiedby._transport import (
    USER_AGENT,
    KeyAuth,
    check_idempotency_key,
    deadline_error,
    prepare,
    read_body,
    transport_error,
)
from notifiedby._urls import endpoint, is_loopback, resolve
from notifiedby.conf import (
    MAX_RETRY_AFTER,
    ClientSettings,
    TimeoutArg,
    default_deadline,
    mask_secret,
    resolve_client_settings,
    to_seconds,
    to_timeout,
)
from notifiedby.exceptions import NotifiedByInvalidArgument

__all__ = [
    "MAX_RETRY_AFTER",
    "NotifiedByClient",
    "NotifiedByInsecureURLWarning",
    "client_or_default",
    "endpoint",
    "get_default_client",
]

logger = logging.getLogger("notifiedby")
_T = TypeVar("_T")

#: The shortest timeout an attempt is given: urllib3 refuses 0 and below, and an attempt
#: started a hair before the deadline should fail fast, not raise a ValueError.
_MIN_WAIT: Final = 0.001
#: A socket timeout set to the time left may fire a hair before the deadline by the clock.
_CLOCK_SLACK: Final = 0.01


class NotifiedByInsecureURLWarning(UserWarning):
    """Warned when the base URL is plain ``http://`` to a host that is not loopback."""


class NotifiedByClient(RetryPolicy):
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
        self._auth = KeyAuth(settings.api_key, settings.encryption_key)
        self._sessions = SessionHolder(session)
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

    def close(self) -> None:
        """Release pooled connections (a session the caller passed is left open)."""
        self._sessions.close()

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
        on_status: Callable[[int], object] | None = None,
    ) -> Any:
        """Send one logical call, retrying where safe; return the decoded JSON (None if empty).

        ``path`` is relative to ``/v1``, or an absolute URL whose path is under the API
        root (a ``next`` link), sent to the base URL whatever host it names. Every POST
        carries an ``Idempotency-Key``: ``idempotency_key`` or a new one, the same on each
        retry. ``deadline`` (seconds) bounds the whole call, retries included; without it,
        the client's setting or one derived from ``timeout``. ``on_status`` is called with
        the status of the answer that is decoded (to tell a 201 from a 200). Raise a
        NotifiedByError subclass for any failure.
        """
        method = method.upper()
        url, rel_path = resolve(path, self.base_url)
        call_timeout = self.timeout if timeout is None else _checked(to_timeout, timeout, "timeout")
        if deadline is None:
            call_deadline = self._deadline_for(call_timeout)
        else:
            call_deadline = _checked(to_seconds, deadline, "deadline")
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = check_idempotency_key(idempotency_key)
        elif method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        if json is not None and (data is not None or files is not None):
            raise TypeError("Pass json, or data and files, not both.")
        session = self._sessions.get()
        request = requests.Request(
            method, url, params=params, json=json, data=data, files=files,
            headers=headers, auth=self._auth,
        )  # fmt: skip
        prepared = prepare(session, request, rel_path)
        secrets = self._secrets
        response = self._send(session, prepared, rel_path, call_timeout, call_deadline, secrets)
        if on_status is not None:
            on_status(response.status_code)
        return _responses.decode(response, method, rel_path, secrets, self.settings.api_key_source)

    def _send(
        self,
        session: requests.Session,
        prepared: requests.PreparedRequest,
        rel_path: str,
        timeout: tuple[float, float],
        deadline: float,
        secrets: tuple[str, ...],
    ) -> requests.Response:
        """Send one prepared request, again while ``_should_retry`` allows and ``deadline``
        (seconds, for the whole call) leaves time; return the last answer with its body
        read, or raise the NotifiedBy error for the last failure (``secrets`` scrubbed)."""
        method = prepared.method or "GET"
        options = self._sessions.send_options(session, prepared.url or "")
        limit, host = self.max_response_bytes, self._base.netloc
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
                    read_body(answer, method, rel_path, limit, at, deadline, host, secrets)
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
                raise deadline_error(method, rel_path, deadline, host, error) from error
            raise transport_error(method, rel_path, error, timeout, self.base_url, host) from error
        assert response is not None
        return response


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


def _checked(convert: Callable[[Any], _T], value: Any, name: str) -> _T:
    """Return ``convert(value)``, its ValueError raised as a NotifiedByInvalidArgument."""
    try:
        return convert(value)
    except ValueError as exc:
        raise NotifiedByInvalidArgument(f"{name} {exc}", argument=name) from None


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
