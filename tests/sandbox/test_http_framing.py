"""Strict HTTP/1.1 framing, over raw sockets: ambiguous lengths are refused and the connection
closed, a stalled body is answered 408 in seconds, and connects don't queue.

Issue 13: with both Content-Length and Transfer-Encoding the body was read chunked and the
connection kept; ``xchunked`` counted as chunked; of two Content-Lengths the first won and
the rest of the body ran as a second request; a short body waited 60 s, then 500.
"""

from __future__ import annotations

import json
import selectors
import shutil
import socket
import subprocess
import time
from collections.abc import Callable

import pytest

from notifiedby.sandbox import Sandbox
from notifiedby.sandbox.server import BODY_READ_TIMEOUT, LISTEN_BACKLOG
from tests.sandbox._raw import address, exchange, host_header, one_answer, parse_answers

RECIPIENT = b'{"email": "framed@example.com"}'


def _head(sandbox: Sandbox, *lines: str, path: str = "/v1/recipients/", key: bool = True) -> bytes:
    """A POST's request line and headers, with a valid Host (and key), up to the blank line."""
    head = [f"POST {path} HTTP/1.1", f"Host: {host_header(sandbox.url)}"]
    if key:
        head.append(f"Authorization: Api-Key {sandbox.api_key}")
    head += ["Content-Type: application/json", *lines]
    return ("\r\n".join(head) + "\r\n\r\n").encode()


def _chunked(body: bytes) -> bytes:
    return f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


#: A second request hidden in the first one's body: answered only if framing is lenient.
SMUGGLED = b"GET /v1/recipients/?smuggled=1 HTTP/1.1\r\nHost: x\r\n\r\n"


def _assert_refused(received: bytes, word: str) -> None:
    """One 400 that names the problem and closes the connection; nothing else answered."""
    answers = parse_answers(received)
    assert [a.status for a in answers] == [400], received[:500]
    assert answers[0].headers["connection"] == "close"
    assert word in json.loads(answers[0].body)["detail"]


def test_content_length_with_transfer_encoding_is_refused(sandbox: Sandbox) -> None:
    body = _chunked(RECIPIENT) + SMUGGLED
    data = _head(sandbox, f"Content-Length: {len(body)}", "Transfer-Encoding: chunked") + body

    _assert_refused(exchange(sandbox.url, data), "Transfer-Encoding")
    assert sandbox.recipients == []


@pytest.mark.parametrize(
    "coding", ["xchunked", "chunked, gzip", "gzip", "identity", "chunked, chunked", "chunkedx"]
)
def test_a_transfer_coding_other_than_chunked_is_refused(sandbox: Sandbox, coding: str) -> None:
    data = _head(sandbox, f"Transfer-Encoding: {coding}") + _chunked(RECIPIENT) + SMUGGLED

    _assert_refused(exchange(sandbox.url, data), "Transfer-Encoding")
    assert sandbox.recipients == []


def test_two_transfer_encoding_headers_are_refused(sandbox: Sandbox) -> None:
    lines = ("Transfer-Encoding: chunked", "Transfer-Encoding: chunked")
    data = _head(sandbox, *lines) + _chunked(RECIPIENT)

    _assert_refused(exchange(sandbox.url, data), "Transfer-Encoding")


def test_chunked_is_read_in_any_letter_case(sandbox: Sandbox) -> None:
    data = _head(sandbox, "Transfer-Encoding: Chunked") + _chunked(RECIPIENT)

    answer = one_answer(sandbox.url, data)

    assert answer.status == 201
    assert sandbox.recipients[0]["email"] == "framed@example.com"


@pytest.mark.parametrize(
    "lines",
    [
        (f"Content-Length: {len(RECIPIENT)}", f"Content-Length: {len(RECIPIENT) + len(SMUGGLED)}"),
        (f"Content-Length: {len(RECIPIENT)}, {len(RECIPIENT) + len(SMUGGLED)}",),
    ],
    ids=["two-headers", "one-list"],
)
def test_differing_content_lengths_are_refused(sandbox: Sandbox, lines: tuple[str, ...]) -> None:
    data = _head(sandbox, *lines) + RECIPIENT + SMUGGLED

    _assert_refused(exchange(sandbox.url, data), "Content-Length")
    assert sandbox.recipients == []


def test_a_repeated_equal_content_length_is_one_length(sandbox: Sandbox) -> None:
    length = f"Content-Length: {len(RECIPIENT)}"

    answer = one_answer(sandbox.url, _head(sandbox, length, length) + RECIPIENT)

    assert answer.status == 201


@pytest.mark.parametrize(
    "line",
    ["X-Folded: a\r\n b", "X-Nul: a\x00b", "X-Vt: a\x0bb", "Bad Name: 1", ": no name", "no colon"],
    ids=["obs-fold", "nul", "control", "space-in-name", "empty-name", "no-colon"],
)
def test_malformed_header_lines_are_refused(sandbox: Sandbox, line: str) -> None:
    data = _head(sandbox, line, f"Content-Length: {len(RECIPIENT)}") + RECIPIENT

    answer = one_answer(sandbox.url, data)

    assert answer.status == 400
    assert answer.headers["connection"] == "close"
    assert sandbox.recipients == []


def test_a_stalled_body_is_answered_408_within_seconds(
    sandbox: Sandbox, record_property: Callable[[str, object], None]
) -> None:
    # Content-Length promises 100 bytes; 31 come, then nothing, with the connection open.
    data = _head(sandbox, "Content-Length: 100") + RECIPIENT
    started = time.monotonic()

    answer = one_answer(sandbox.url, data, finish=False)
    waited = time.monotonic() - started

    record_property("figures", f"a stalled body got its 408 after {waited:.2f} s")
    assert answer.status == 408
    assert answer.headers["connection"] == "close"
    assert "stalled" in json.loads(answer.body)["detail"]
    assert BODY_READ_TIMEOUT - 0.5 < waited < BODY_READ_TIMEOUT + 2
    assert sandbox.recipients == []


def test_a_body_cut_short_by_the_client_is_400_at_once(sandbox: Sandbox) -> None:
    started = time.monotonic()

    answer = one_answer(sandbox.url, _head(sandbox, "Content-Length: 100") + RECIPIENT)

    assert answer.status == 400
    assert "ended before its Content-Length" in json.loads(answer.body)["detail"]
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\n{}\r\n0\r\n\r\n", b"0x2\r\n{}\r\n0\r\n\r\n", b"10\r\n{}\r\n0\r\n\r\n", b"2\r\n{}"],
    ids=["not-hex", "prefixed", "short-chunk", "no-last-chunk"],
)
def test_malformed_chunked_bodies_are_refused(sandbox: Sandbox, chunks: bytes) -> None:
    answer = one_answer(sandbox.url, _head(sandbox, "Transfer-Encoding: chunked") + chunks)

    assert answer.status == 400
    assert answer.headers["connection"] == "close"


def test_another_http_version_is_4xx(sandbox: Sandbox) -> None:
    request = f"GET /v1/recipients/ HTTP/2.0\r\nHost: {host_header(sandbox.url)}\r\n\r\n"

    answer = one_answer(sandbox.url, request.encode())

    assert answer.status == 400


def test_100_continue_is_sent_only_to_a_request_with_a_key(sandbox: Sandbox) -> None:
    expect = ("Expect: 100-continue", f"Content-Length: {len(RECIPIENT)}")
    refused = parse_answers(exchange(sandbox.url, _head(sandbox, *expect, key=False) + RECIPIENT))
    accepted = parse_answers(exchange(sandbox.url, _head(sandbox, *expect) + RECIPIENT))

    # Without a key the answer comes at once, so a client that waits never sends its body.
    assert [a.status for a in refused] == [401]
    assert [a.status for a in accepted] == [100, 201]


def test_the_listen_backlog_takes_a_burst_of_connects(sandbox: Sandbox) -> None:
    host, port = address(sandbox.url)
    # A full accept queue drops the SYN and the client retries a second later: time each.
    sockets: list[socket.socket] = []
    waited: list[float] = []
    with selectors.DefaultSelector() as selector:
        for _ in range(100):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex((host, port))
            selector.register(sock, selectors.EVENT_WRITE, data=time.monotonic())
            sockets.append(sock)
        deadline = time.monotonic() + 5
        while len(waited) < len(sockets) and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.1):
                selector.unregister(key.fileobj)
                waited.append(time.monotonic() - key.data)
    for sock in sockets:
        sock.close()

    assert LISTEN_BACKLOG >= 128
    assert len(waited) == 100
    assert max(waited) < 0.9


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to read the backlog")
def test_the_listening_socket_has_the_backlog(sandbox: Sandbox) -> None:
    host, port = address(sandbox.url)

    listing = subprocess.run(
        ["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout

    # For a listening socket, ss shows the backlog as its Send-Q (the third column).
    [line] = [line for line in listing.splitlines() if f"{host}:{port}" in line]
    assert int(line.split()[2]) >= 128
