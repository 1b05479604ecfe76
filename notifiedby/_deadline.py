"""Make every wait on a socket end by the deadline of the call being made.

Timeouts bound each wait for the socket, not a call: a server that sends one byte a second
keeps every wait short and the call alive for ever. The client's own session takes its
connection pools from :data:`POOL_CLASSES`. Their connections cut each wait (sending the
request, then reading the status line, headers, chunk sizes and body) to the time left before
the deadline that :func:`set_deadline` gave the calling thread, and raise ``TimeoutError``
once none is left, which urllib3 reports as a read timeout. The TLS handshake is the one wait
left to the timeouts alone: it runs inside the ``ssl`` module.
"""

from __future__ import annotations

import http.client
import io
import socket
import threading
import time
from typing import Any, Final

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["POOL_CLASSES", "set_deadline"]

_local = threading.local()


def set_deadline(at: float | None) -> None:
    """Make the socket waits of this thread end by ``at``, in ``time.monotonic()`` seconds
    (None: no deadline)."""
    _local.at = at


def _deadline() -> float | None:
    return getattr(_local, "at", None)


def _wait_for(at: float, timeout: object) -> float:
    """Return how long the next wait may last: ``timeout``, cut to the time left before ``at``.

    Raise TimeoutError when no time is left.
    """
    left = at - time.monotonic()
    if left <= 0:
        raise TimeoutError("the call's deadline has passed")
    if isinstance(timeout, (int, float)) and timeout < left:
        return float(timeout)
    return left


class _Reader(io.RawIOBase):
    """A socket's input whose every read waits no longer than the time left before ``at``."""

    def __init__(self, sock: socket.socket, at: float) -> None:
        super().__init__()
        self._sock = sock
        # Through makefile, as http.client reads: the socket then stays open until this
        # closes, even when the connection closes first (a "Connection: close" answer).
        self._input = sock.makefile("rb", buffering=0)
        self._at = at
        self._timeout = sock.gettimeout()  # the read timeout urllib3 has just set

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        wait = _wait_for(self._at, self._timeout)
        if wait != self._timeout:  # only near the deadline: settimeout is a system call
            self._sock.settimeout(wait)
        return self._input.readinto(buffer)

    def close(self) -> None:
        self._input.close()
        super().close()


class _Socket:
    """The one thing http.client's response asks of its socket: ``makefile``."""

    def __init__(self, sock: socket.socket, at: float) -> None:
        self._sock = sock
        self._at = at

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_Reader(self._sock, self._at))


class _Response(http.client.HTTPResponse):
    """An http.client response read through a deadline-bound socket when there is a deadline."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        at = _deadline()
        super().__init__(sock if at is None else _Socket(sock, at), *args, **kwargs)  # type: ignore[arg-type]


class _Connection(HTTPConnection):
    """A connection whose sends, and whose response's reads, end by the deadline."""

    response_class = _Response

    def connect(self) -> None:
        super().connect()
        self._cut_timeout()

    def send(self, data: Any) -> None:
        self._cut_timeout()
        super().send(data)

    def _cut_timeout(self) -> None:
        # urllib3 has set the socket's timeout to self.timeout; a shorter one is only needed
        # near the deadline, and settimeout is a system call.
        at = _deadline()
        if at is not None and self.sock is not None:
            wait = _wait_for(at, self.timeout)
            if wait != self.timeout:
                self.sock.settimeout(wait)


class _TLSConnection(_Connection, HTTPSConnection):
    """The HTTPS twin of :class:`_Connection`."""


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


#: Scheme -> pool class, as urllib3's ``PoolManager.pool_classes_by_scheme`` takes them.
POOL_CLASSES: Final[dict[str, type[HTTPConnectionPool]]] = {"http": _Pool, "https": _TLSPool}
