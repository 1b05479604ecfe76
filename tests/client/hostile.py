"""Hostile HTTP servers on raw loopback sockets: each reads a request, then misbehaves.

A server runs ``behaviour(server, connection, head)`` for each request, on its own thread;
``head`` is the request's header block. ``server.send`` counts the bytes the peer took, so a
test can tell how much of a huge answer the client let through.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

Behaviour = Callable[["HostileServer", socket.socket, bytes], None]


class HostileServer:
    """A loopback server answering every request with ``behaviour``."""

    def __init__(self, behaviour: Behaviour) -> None:
        self._behaviour = behaviour
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # so the accept loop notices stop()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        #: Bytes of answers the peer accepted, across connections.
        self.sent = 0
        #: The header block of each request, in arrival order.
        self.heads: list[bytes] = []
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def send(self, connection: socket.socket, data: bytes) -> bool:
        """Send ``data``; return False once the peer is gone (or the server stopped)."""
        if self.stopped:
            return False
        try:
            connection.sendall(data)
        except OSError:
            return False
        with self._lock:
            self.sent += len(data)
        return True

    def trickle(self, connection: socket.socket, byte: bytes = b"a", every: float = 1.0) -> None:
        """Send ``byte`` every ``every`` seconds until the peer leaves or the server stops."""
        while self.send(connection, byte):
            self._stopped.wait(every)

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every connection's behaviour has returned."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        self._stopped.set()
        self._accepting.join(2)
        self._listener.close()
        self.wait_idle(2)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(5)
            head = _read_request(connection)
            if head is None:
                return
            with self._lock:
                self.heads.append(head)
            self._behaviour(self, connection, head)


def _read_request(connection: socket.socket) -> bytes | None:
    """Read one request: its header block (returned) and a Content-Length body (dropped)."""
    data = b""
    with contextlib.suppress(OSError):
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(header(head, "Content-Length") or 0)
        while len(body) < length:
            chunk = connection.recv(65536)
            if not chunk:
                break
            body += chunk
        return head
    return None


def header(head: bytes, name: str) -> str | None:
    """Return the value of header ``name`` in a request's header block, or None."""
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


@contextlib.contextmanager
def hostile_server(behaviour: Behaviour) -> Iterator[HostileServer]:
    """Run a :class:`HostileServer` for the ``with`` block."""
    server = HostileServer(behaviour)
    try:
        yield server
    finally:
        server.stop()
