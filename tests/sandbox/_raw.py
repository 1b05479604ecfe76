"""Raw HTTP over a socket: for requests no HTTP client would send, and answers read as bytes."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import attrs

#: Seconds a raw exchange may take before the test fails instead of hanging.
RAW_TIMEOUT = 10.0


@attrs.frozen
class Answer:
    """One HTTP answer as it came off the wire."""

    status: int
    #: Header names in lower case; a repeated header keeps its last value.
    headers: dict[str, str]
    body: bytes
    #: The header section exactly as received, to look for what must not be there.
    head: bytes


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or 80


def exchange(url: str, data: bytes, *, finish: bool = True, timeout: float = RAW_TIMEOUT) -> bytes:
    """Send ``data`` on a new connection and return every byte received until it closes.

    With ``finish`` the sending side is shut after ``data``, so the server sees the end of
    the stream at once instead of waiting for more.
    """
    received = bytearray()
    with socket.create_connection(address(url), timeout=timeout) as sock:
        sock.sendall(data)
        if finish:
            sock.shutdown(socket.SHUT_WR)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass  # what was received before the reset still counts
    return bytes(received)


def parse_answers(data: bytes, *, head_request: bool = False) -> list[Answer]:
    """Split a stream of HTTP/1.1 answers; ``head_request``: the first one may have no body
    (it has one when the request line was too broken for the server to see a HEAD).

    Raise AssertionError when the stream is not a sequence of well-formed answers.
    """
    answers: list[Answer] = []
    while data:
        head, separator, rest = data.partition(b"\r\n\r\n")
        assert separator, f"an answer without the end of its headers: {data[:300]!r}"
        status_line, *lines = head.split(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 "), f"not a status line: {status_line[:100]!r}"
        status = int(status_line.split()[1])
        headers = {}
        for line in lines:
            name, colon, value = line.decode("latin-1").partition(":")
            assert colon, f"a header line without a colon: {line[:100]!r}"
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        headless = head_request and not answers and rest[:9] in (b"", b"HTTP/1.1 ")
        if status < 200 or headless:
            length = 0
        answers.append(Answer(status, headers, rest[:length], head))
        data = rest[length:]
    return answers


def one_answer(
    url: str, data: bytes, *, finish: bool = True, timeout: float = RAW_TIMEOUT
) -> Answer:
    """Send ``data`` and return its single answer (after any ``100 Continue``)."""
    received = exchange(url, data, finish=finish, timeout=timeout)
    answers = [answer for answer in parse_answers(received) if answer.status >= 200]
    assert len(answers) == 1, answers
    return answers[0]


def host_header(url: str) -> str:
    """The Host header a client of ``url`` sends: ``127.0.0.1:54321``."""
    return urlsplit(url).netloc
