"""A threaded HTTP/1.1 server for the sandbox app."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from email import errors as email_errors
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any, TypeVar

from notifiedby._version import __version__
from notifiedby.sandbox.app import SandboxApp
from notifiedby.sandbox.faults import DropConnection
from notifiedby.sandbox.wire import MAX_BODY_BYTES, ApiError

__all__ = ["BODY_READ_TIMEOUT", "LISTEN_BACKLOG", "POLL_INTERVAL", "SandboxServer", "UnsafeHeader"]

logger = logging.getLogger("notifiedby.sandbox")

# How often the serving loop checks for stop(): short, so stopping a sandbox is quick.
POLL_INTERVAL = 0.05

#: How long an idle kept-alive connection stays open.
IDLE_TIMEOUT = 60.0
#: How long a request body may stall between reads before the answer is 408.
BODY_READ_TIMEOUT = 5.0
#: How long, at most, the server reads and drops a body the app left unread before closing.
DRAIN_SECONDS = 2.0
#: How many connections may wait to be accepted; a burst of test clients must not queue.
LISTEN_BACKLOG = 128

#: A header name: an HTTP token.
_FIELD_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: A header value that can be written as is: no CR, LF, NUL or other control character.
_FIELD_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
# ASCII digits only: str.isdigit() and int() also take other scripts' digits, and "²".
_DIGITS = re.compile(r"[0-9]{1,20}")
#: The most trailer lines after a chunked body.
_MAX_TRAILERS = 100
_CLOSE = {"Connection": "close"}
#: What the header parser reports for a line that is not ``Name: value``.
_HEADER_DEFECTS = (
    email_errors.FirstHeaderLineIsContinuationDefect,
    email_errors.InvalidHeaderDefect,
    email_errors.MissingHeaderBodySeparatorDefect,
)

_T = TypeVar("_T")


class UnsafeHeader(ValueError):
    """Raised instead of writing a header that holds CR, LF, NUL or another control
    character: written out, it would end the header early and start another."""


class _Body:
    """A request body as ``wsgi.input``, read only when the app asks for it.

    A body that stalls (408), ends early, is malformed or is too big raises ApiError for the
    app to answer, with ``Connection: close``: the rest of the stream can't be trusted.
    """

    def __init__(self, handler: _Handler) -> None:
        self._handler = handler
        #: True when all of the body has been read.
        self.done = False
        #: True when reading failed: nothing more can be read from the connection.
        self.failed = False

    def _timed(self, read: Callable[[], _T]) -> _T:
        """Run one read of the body with the body's timeout; turn failures into ApiError."""
        handler = self._handler
        handler.send_continue()
        handler.connection.settimeout(BODY_READ_TIMEOUT)
        try:
            return read()
        except TimeoutError:
            self.failed = True
            detail = (
                f"The request body stalled: nothing arrived for {BODY_READ_TIMEOUT:g} s"
                " before it was complete."
            )
            raise ApiError(408, {"detail": detail}, dict(_CLOSE)) from None
        finally:
            handler.connection.settimeout(handler.timeout)

    def _fail(self, status: int, detail: str) -> ApiError:
        self.failed = True
        return ApiError(status, {"detail": detail}, dict(_CLOSE))


class _FixedBody(_Body):
    """A body of Content-Length bytes."""

    def __init__(self, handler: _Handler, length: int) -> None:
        super().__init__(handler)
        #: Bytes of the body not yet read.
        self.remaining = length
        self.done = length == 0

    def read(self, size: int = -1) -> bytes:
        want = self.remaining if size < 0 else min(size, self.remaining)
        if want <= 0:
            return b""
        data = self._timed(lambda: self._handler.rfile.read(want))
        if len(data) < want:
            raise self._fail(400, "The request body ended before its Content-Length.")
        self.remaining -= want
        self.done = self.remaining == 0
        return data


class _ChunkedBody(_Body):
    """A ``Transfer-Encoding: chunked`` body, decoded as the app reads it."""

    def __init__(self, handler: _Handler) -> None:
        super().__init__(handler)
        self._buffer = bytearray()
        self._received = 0

    def read(self, size: int = -1) -> bytes:
        while not self.done and (size < 0 or len(self._buffer) < size):
            self._timed(self._next_chunk)
        size = len(self._buffer) if size < 0 else size
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _next_chunk(self) -> None:
        rfile = self._handler.rfile
        line = rfile.readline(1026)
        if not line.endswith(b"\r\n"):
            raise self._fail(400, "Malformed chunked body: a chunk size line is cut short.")
        size_text = line[:-2].split(b";")[0].strip()
        if not _CHUNK_SIZE.fullmatch(size_text):
            raise self._fail(400, f"Malformed chunked body: bad chunk size {size_text[:20]!r}.")
        size = int(size_text, 16)
        if size == 0:
            self._skip_trailers()
            self.done = True
            return
        self._received += size
        if self._received > MAX_BODY_BYTES:
            limit = MAX_BODY_BYTES // (1024 * 1024)
            raise self._fail(413, f"Request body too large: the limit is {limit} MiB.")
        data = rfile.read(size)
        if len(data) < size or rfile.read(2) != b"\r\n":
            raise self._fail(400, "Malformed chunked body: a chunk does not match its size.")
        self._buffer += data

    def _skip_trailers(self) -> None:
        for _ in range(_MAX_TRAILERS):
            line = self._handler.rfile.readline(65537)
            if line == b"\r\n":
                return
            if not line.endswith(b"\n"):
                break
        raise self._fail(400, "Malformed chunked body: its trailer section does not end.")


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
        self._continue_pending = False

    def log_message(self, format: str, *args: Any) -> None:
        """Keep quiet: the sandbox records requests instead of printing them."""

    def handle_one_request(self) -> None:
        self._continue_pending = False
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
        try:
            if not self.parse_request():
                return
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        problem = self._framing_problem()
        if problem is not None:
            self.send_error(400, problem)
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

    def handle_expect_100(self) -> bool:
        """Defer ``100 Continue`` until the app reads the body: a request refused before
        that (no API key) is answered without the client ever sending its body."""
        self._continue_pending = True
        return True

    def send_continue(self) -> None:
        """Send the deferred ``100 Continue``, once, if the client asked for it."""
        if self._continue_pending:
            self._continue_pending = False
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer an HTTP-level error (bad request line, huge header) in JSON, as the API does."""
        if code == HTTPStatus.HTTP_VERSION_NOT_SUPPORTED:
            # A request in another HTTP version is bad input, and bad input is answered 4xx.
            code = 400
        self.close_connection = True
        body = json.dumps({"detail": message or HTTPStatus(code).phrase}).encode("utf-8")
        self._write(
            f"{code} {HTTPStatus(code).phrase}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            body,
        )

    def _framing_problem(self) -> str | None:
        """Say what makes the request's header section malformed or its length ambiguous.

        Ambiguous framing is how requests are smuggled: read one way here and another way
        by a proxy, the rest of a body runs as a second request. So anything that is not
        exactly one Content-Length or exactly ``Transfer-Encoding: chunked`` is refused.
        """
        headers = self.headers
        # The header parser files a line it can't read, and all after it, as a "payload".
        if headers.get_payload() or any(isinstance(d, _HEADER_DEFECTS) for d in headers.defects):
            return "Malformed header section: a line is not 'Name: value'."
        for name, value in headers.items():
            if not _FIELD_NAME.fullmatch(name):
                return f"Malformed header name {name[:40]!r}."
            if not _FIELD_VALUE.fullmatch(value):
                return f"The {name} header holds a CR, LF, NUL or other control character."
        if len(headers.get_all("Host", [])) > 1:
            return "More than one Host header."
        lengths = {
            v.strip() for line in headers.get_all("Content-Length", []) for v in line.split(",")
        }
        codings = headers.get_all("Transfer-Encoding", [])
        if codings and lengths:
            return "Content-Length and Transfer-Encoding together: send one or the other."
        if codings and (
            ",".join(codings).strip().lower() != "chunked" or self.request_version != "HTTP/1.1"
        ):
            shown = ", ".join(codings)[:40]
            return f"Transfer-Encoding {shown!r} is not supported: only chunked, in HTTP/1.1."
        if len(lengths) > 1:
            return "Content-Length headers disagree."
        if lengths and not _DIGITS.fullmatch(lengths.pop()):
            return "Content-Length is not a whole number of bytes."
        return None

    def _run_app(self) -> None:
        path, _, query = self.path.partition("?")
        length = (self.headers.get("Content-Length") or "0").split(",")[0].strip()
        body: _FixedBody | _ChunkedBody
        if "Transfer-Encoding" in self.headers:
            body, length = _ChunkedBody(self), ""
        else:
            body = _FixedBody(self, int(length))
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
            "wsgi.input": body,
            # A chunked body has no length: reading to its end is how the app gets it all.
            "wsgi.input_terminated": True,
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

        payload = b"".join(self.server.app(environ, start_response))
        if not body.done:
            # What is left of the body would be read as the next request.
            self.close_connection = True
        self._write(answer["status"], answer["headers"], payload)
        if not body.done and not body.failed and not self._continue_pending:
            limit = body.remaining if isinstance(body, _FixedBody) else MAX_BODY_BYTES
            self._drain(min(limit, MAX_BODY_BYTES))

    def _drain(self, limit: int) -> None:
        """Read and drop up to ``limit`` bytes of an unread body, for DRAIN_SECONDS at most.

        Closing a socket with unread input sends a reset, and the client, still sending,
        would see the reset instead of the answer; dropping the bytes costs no memory.
        """
        deadline = time.monotonic() + DRAIN_SECONDS
        with contextlib.suppress(OSError):
            while limit > 0 and (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                chunk = self.rfile.read1(min(limit, 65536))
                if not chunk:
                    break
                limit -= len(chunk)

    def _write(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        """Write one answer; raise UnsafeHeader, writing nothing, for a header that can't be
        written as is. Every status line and header the server sends passes through here."""
        standard = [("Server", self.version_string()), ("Date", self.date_time_string())]
        for name, value in [("Status", status), *standard, *headers]:
            if not (_FIELD_NAME.fullmatch(name) and _FIELD_VALUE.fullmatch(value)):
                raise UnsafeHeader(f"refusing to write the {name[:40]!r} header: {value[:80]!r}")
        out = BytesIO()
        out.write(f"HTTP/1.1 {status}\r\n".encode("latin-1"))
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
    request_queue_size = LISTEN_BACKLOG

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
