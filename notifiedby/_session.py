"""The requests session a client sends through: one per process, shared by threads.

The client's own session pools its connections (``POOL_SIZE`` per host), ends every socket
wait by the call's deadline (``notifiedby._deadline``) and keeps no cookies. A session the
caller passes is used as it is and never closed.
"""

from __future__ import annotations

import os
import threading
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Final

import requests
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager, ProxyManager

from notifiedby._deadline import POOL_CLASSES

__all__ = ["POOL_SIZE", "SessionHolder", "new_session"]

#: Connections kept per host; above requests' default of 10 so 16+ threads can share a client.
POOL_SIZE: Final = 32

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


def new_session() -> requests.Session:
    """Return a session with pooled, deadline-bound connections that keeps no cookies."""
    session = requests.Session()
    adapter = _DeadlineAdapter(pool_connections=4, pool_maxsize=POOL_SIZE)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.cookies.set_policy(_NO_COOKIES)
    return session


class SessionHolder:
    """Hold one client's session: its own, made on first use and again in a forked child,
    or the caller's ``session``, used as it is."""

    def __init__(self, session: requests.Session | None) -> None:
        #: The session in use; for the client's own, None until first used and after close().
        self.session = session
        self._owned = session is None
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._options: tuple[requests.Session, dict[str, Any]] | None = None

    def get(self) -> requests.Session:
        """Return the session for this process, making the client's own if it has none."""
        session, pid = self.session, os.getpid()
        if session is not None and self._pid == pid:
            return session
        if self._pid != pid:
            # We are a forked child. A lock some parent thread held at fork time stays held
            # forever here, so start with a new one.
            self._lock = threading.Lock()
        with self._lock:
            if self._pid != pid and not self._owned and self.session is not None:
                # The caller's session: drop the sockets inherited from the parent, whose
                # streams the parent is still reading.
                for adapter in self.session.adapters.values():
                    adapter.close()
            elif self._owned and (self.session is None or self._pid != pid):
                self.session = new_session()
            self._pid = pid
            assert self.session is not None
            return self.session

    def close(self) -> None:
        """Release the own session's pooled connections (the caller's is left open)."""
        with self._lock:
            session, self.session = self.session, None
            if not self._owned:
                self.session = session
            elif session is not None and self._pid == os.getpid():
                session.close()

    def send_options(self, session: requests.Session, url: str) -> dict[str, Any]:
        """Return the options to send with through ``session``: the proxies and TLS options
        requests reads from the environment, read once per session (reading them costs as
        much as the rest of a call, and every URL a client sends to is on one host), and
        ``stream``, as the client reads the body itself, within its size cap and deadline."""
        cached = self._options
        if cached is None or cached[0] is not session:
            options = dict(session.merge_environment_settings(url, {}, None, None, None))
            options["stream"] = True
            cached = self._options = (session, options)
        return cached[1]
