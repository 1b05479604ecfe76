"""A threaded HTTP/1.1 server for the sandbox app."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import socket
import struct
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any

from notifiedby._version import __version__
from notifiedby.sandbox.app import SandboxApp
from notifiedby.sandbox.faults import DropConnection
from notifiedby.sandbox.wire import MAX_BODY_BYTES

__all__ = ["POLL_INTERVAL", "SandboxServer"]

logger = logging.getLogger("notifiedby.sandbox")

# How often the serving loop checks for stop(): short, so stopping a sandbox is quick.
POLL_INTERVAL = 0.05

#: How long an idle kept-alive connection stays open.
IDLE_TIMEOUT = 60.0


class _Handler(BaseHTTPRequestHandler):
    """Runs the WSGI app for each request and writes each answer in one piece.

    One write per answer matters: a response written as headers then body meets Nagle's
    algorithm and the client's delayed ACK, and a kept-alive call stalls for 40 ms.
    """

    protocol_version = "HTTP/1.1"
    server_version = f"NotifiedBySandbox/{__version__}"
    server: SandboxServer
    timeout = IDLE_TIMEOUT

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection_id = self.server.new_connection_id()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep quiet: the sandbox records requests instead of printing them."""

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.raw_requestline:
            self.close_connection = True
            return
        if not self.parse_request():
            return
        try:
            self._run_app()
        except DropConnection:
            self._reset_connection()
        except ConnectionError:
            self.close_connection = True
        except Exception:
            # A sandbox bug must not look like a network fault; answer 500 and keep serving.
            logger.exception(
                "The sandbox failed on %s %s", self.command, self.path.partition("?")[0]
            )
            self.close_connection = True
            self.send_error(500, "The sandbox failed; see its log.")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer an HTTP-level error (bad request line, huge header) in JSON, as the API does."""
        self.close_connection = True
        body = json.dumps({"detail": message or HTTPStatus(code).phrase}).encode("utf-8")
        self._write(
            f"{code} {HTTPStatus(code).phrase}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            body,
        )

    def _read_chunked(self) -> bytes | None:
        """Read a chunked body; None when it is malformed or over the size limit."""
        body = bytearray()
        while True:
            size_line = self.rfile.readline(1026).split(b";")[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                return None
            if size == 0:
                break
            if size < 0 or len(body) + size > MAX_BODY_BYTES:
                return None
            body += self.rfile.read(size)
            if self.rfile.readline(3) != b"\r\n":
                return None
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass  # trailers carry nothing the API uses
        return bytes(body)

    def _run_app(self) -> None:
        path, _, query = self.path.partition("?")
        body_input: Any = self.rfile
        length = self.headers.get("Content-Length", "")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunked = self._read_chunked()
            if chunked is None:
                self.send_error(400, "Malformed chunked body, or over the size limit.")
                return
            body_input, length = BytesIO(chunked), str(len(chunked))
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "RAW_URI": self.path,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": length,
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "wsgi.input": body_input,
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "notifiedby.connection_id": self.connection_id,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = value
        answer: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            answer["status"], answer["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.server.app(environ, start_response))
        self._write(answer["status"], answer["headers"], body)

    def _write(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        out = BytesIO()
        out.write(f"HTTP/1.1 {status}\r\n".encode("latin-1"))
        standard = [("Server", self.version_string()), ("Date", self.date_time_string())]
        for name, value in standard + headers:
            out.write(f"{name}: {value}\r\n".encode("latin-1"))
            if name.lower() == "connection" and value.lower() == "close":
                self.close_connection = True
        if self.close_connection and not any(n.lower() == "connection" for n, _ in headers):
            out.write(b"Connection: close\r\n")
        out.write(b"\r\n")
        if self.command != "HEAD":
            out.write(body)
        self.wfile.write(out.getvalue())

    def _reset_connection(self) -> None:
        # Linger 0 makes close() send a TCP reset: the client sees the connection die
        # without an answer, as with a crashed server or a proxy timing out.
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


class SandboxServer(ThreadingHTTPServer):
    """The listening socket; a thread per connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        self._connection_ids = itertools.count(1)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def new_connection_id(self) -> int:
        return next(self._connection_ids)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        # Closing straight away keeps a linger-0 socket's reset; shutdown() would send a FIN first.
        with self._open_lock:
            self._open.discard(request)
        self.close_request(request)

    def server_close(self) -> None:
        """Stop listening and end the kept-alive connections, so no request outlives the server."""
        super().server_close()
        with self._open_lock:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
