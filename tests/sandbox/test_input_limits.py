"""Bad input is a 4xx, and a request without a key costs the server no memory.

Issue 13: every body was recorded before authentication, up to 10,000 requests of up to
40 MiB (20 unauthenticated 39 MB POSTs took the server from 34 MB to 814 MB); a non-ASCII
API key, JSON nested 1,000 deep and a body shorter than its Content-Length were 500s.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from notifiedby.sandbox import Sandbox
from notifiedby.sandbox.faults import KEEP_BODY_BYTES, RECORD_BYTES
from notifiedby.sandbox.wire import MAX_JSON_DEPTH
from tests.sandbox._raw import host_header, one_answer
from tests.sandbox.conftest import REQUEST_TIMEOUT, Api
from tests.sandbox.test_cli import Server

#: Just under the 40 MiB body limit, as in the issue.
BIG = 39 * 1024 * 1024


def _get_with_key(sandbox: Sandbox, key: bytes) -> int:
    request = (
        f"GET /v1/recipients/ HTTP/1.1\r\nHost: {host_header(sandbox.url)}\r\n".encode()
        + b"Authorization: Api-Key "
        + key
        + b"\r\n\r\n"
    )
    answer = one_answer(sandbox.url, request)
    assert answer.headers["content-type"] == "application/json"
    return answer.status


@pytest.mark.parametrize(
    "key",
    ["\u043a\u043b\u044e\u0447".encode(), b"caf\xe9", b"\xff\xfe", "sbx_\u2603".encode()],
    ids=["cyrillic", "latin-1", "not-utf-8", "snowman"],
)
def test_a_non_ascii_api_key_is_401(sandbox: Sandbox, key: bytes) -> None:
    assert _get_with_key(sandbox, key) == 401


def test_a_non_ascii_sandbox_key_matches_its_utf8_bytes() -> None:
    with Sandbox(api_keys=["cl\u00e9-\u043a\u043b\u044e\u0447"]) as sb:
        assert _get_with_key(sb, "cl\u00e9-\u043a\u043b\u044e\u0447".encode()) == 200
        assert _get_with_key(sb, "cl\u00e9".encode("latin-1")) == 401


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
@pytest.mark.parametrize("path", ["/v1/recipients/", "/v1/email/send/", "/_sandbox/flows/"])
def test_deeply_nested_json_is_400(api: Api, path: str, depth: int) -> None:
    body = b'{"email": "a@b.co", "steps": ' + b"[" * depth + b"]" * depth + b"}"

    response = api.post(path, data=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert "nested more than" in response.json()["detail"]


def test_json_at_the_nesting_limit_is_read(api: Api) -> None:
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    body = '{"email": "a@b.co", "first_name": ' + nested + "}"

    response = api.post("/v1/recipients/", data=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert "first_name" in response.json()  # a field error: the JSON itself was read


def test_bodies_without_a_key_are_neither_read_nor_recorded(sandbox: Sandbox) -> None:
    body = b"x" * (8 * 1024 * 1024)
    for key in (None, "wrong", "\u00e9"):
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Api-Key {key}"
        response = requests.post(
            sandbox.url + "/v1/email/send/", data=body, headers=headers, timeout=REQUEST_TIMEOUT
        )
        # The body was never read: the connection can't be reused, the answer still arrives.
        assert response.status_code == 401
        assert response.headers["Connection"] == "close"

    assert [(r.status, r.body, r.body_size) for r in sandbox.requests] == [(401, None, 0)] * 3
    assert sandbox.control.recorder.total_bytes < 16 * 1024


def test_a_big_body_is_recorded_as_its_size_and_hash(api: Api, sandbox: Sandbox) -> None:
    small = json.dumps({"email": "a@b.co"}).encode()
    big = json.dumps({"email": "a@b.co", "first_name": "x" * KEEP_BODY_BYTES}).encode()

    api.post("/v1/recipients/", data=small, headers={"Content-Type": "application/json"})
    api.post("/v1/recipients/", data=big, headers={"Content-Type": "application/json"})

    kept, hashed = sandbox.requests
    assert (kept.body, kept.body_size, kept.body_sha256) == (small, len(small), None)
    assert kept.json == {"email": "a@b.co"}
    assert (hashed.body, hashed.json, hashed.body_size) == (None, None, len(big))
    assert hashed.body_sha256 == hashlib.sha256(big).hexdigest()


def test_the_recorder_keeps_a_bounded_number_of_bytes(api: Api, sandbox: Sandbox) -> None:
    # Authenticated requests to an unknown path: the body is read and recorded, then 404.
    body = b"x" * KEEP_BODY_BYTES
    sent = RECORD_BYTES // KEEP_BODY_BYTES + 8
    for number in range(sent):
        response = api.post(f"/v1/nowhere/{number}/", data=body)
        assert response.status_code == 404

    kept = sandbox.requests
    assert sandbox.control.recorder.total_bytes <= RECORD_BYTES
    assert 0 < len(kept) < sent
    assert kept[-1].path == f"/v1/nowhere/{sent - 1}/"  # the oldest went first
    assert all(r.body == body for r in kept)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/<pid>/status")
def test_big_posts_without_a_key_do_not_grow_the_server(
    record_property: Callable[[str, object], None],
) -> None:
    server = Server("--api-key", "k")
    try:
        url = server.url + "/v1/email/send/"
        with requests.Session() as session:
            for _ in range(3):  # warm up: threads, buffers, the allocator's arenas
                session.post(url, data=b"{}", headers={"Authorization": "Api-Key k"}, timeout=10)
            before = _rss_kib(server.process.pid)
            body = b"x" * BIG
            statuses = [
                session.post(url, data=body, timeout=REQUEST_TIMEOUT).status_code for _ in range(20)
            ]
        grown = (_rss_kib(server.process.pid) - before) / 1024
    finally:
        server.kill()

    record_property(
        "figures",
        f"20 unauthenticated 39 MB POSTs: server RSS {before / 1024:.0f} MB, grew {grown:.1f} MB",
    )
    assert statuses == [401] * 20
    assert grown < 16
