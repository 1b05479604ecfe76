"""A bounded fuzz of the sandbox's HTTP edge: thousands of malformed requests over real
sockets, with and without a valid key, and never a 5xx or a growing server.

Issue 13 asks for at least 2,000 malformed requests, 0 answers of 500 or more, and server
RSS growth under 50 MB. The sandbox runs as ``notifiedby sandbox`` in a child process, so
its memory is its own; every request goes on a new connection that the client then shuts
for writing, so a short body ends at once instead of waiting out the body timeout.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox._raw import exchange, host_header, parse_answers
from tests.sandbox.test_cli import Server

#: How many requests the fuzz sends; the issue asks for at least 2,000.
EXAMPLES = 2_000
KEY = "fuzz-key-0001"

API_PATHS = [
    "/v1/email/send/",
    "/v1/email/list/",
    "/v1/email/detail/AB/",
    "/v1/email/delivery/AB/",
    "/v1/email/detail/?email=a@b.co",
    "/v1/flows/subscribe/",
    "/v1/flows/unsubscribe/",
    "/v1/flows/subscriptions/?email=a@b.co&flow_trigger=X",
    "/v1/recipients/",
    "/v1/recipients/?page=%FF&page_size=-1",
    "/v1/recipients/flags/set/",
    "/v1/recipients/flags/clear/",
    "/v1/openapi.json",
]
# Not /_sandbox/faults/ (an injected fault answers 5xx on purpose) nor /_sandbox/clock/
# (moving the clock decades ahead is slow, not wrong).
OTHER_PATHS = [
    "/",
    "/inbox/stamp",
    "/inbox/emails/AB/attachments/0",
    "/_sandbox/state/",
    "/_sandbox/flows/",
    "/_sandbox/blocked/?email=a@b.co",
    "/_sandbox/limit/",
    "/_sandbox/options/",
    "/_sandbox/nope/",
    "*",
    "//",
    "/v1/email/detail/..%2F..%2F/",
    "/%FF%FE/",
    "http://rebind.example/v1/recipients/",
]
METHODS = [b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"HEAD", b"OPTIONS", b"get", b"G\x00T"]
VERSIONS = [b"HTTP/1.1"] * 6 + [b"HTTP/1.0", b"HTTP/2.0", b"HTTP/0.9", b"HTTP/1.x", b""]
CONTENT_TYPES = [
    b"application/json",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=fz",
    b"multipart/form-data",
    b"text/plain",
]
HEADER_NAMES = [
    b"Expect",
    b"Connection",
    b"Idempotency-Key",
    b"Origin",
    b"Sec-Fetch-Site",
    b"Transfer-Encoding",
    b"Content-Length",
    b"Host",
    b"X-Anything",
    b"Bad Name",
]
FRAMINGS = [
    "length",
    "length",
    "length",
    "length",
    "none",
    "short",
    "long",
    "garbage",
    "twice-same",
    "twice-different",
    "chunked",
    "chunked-broken",
    "length-and-chunked",
    "xchunked",
    "huge",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["recipient", "email", "subject", "body", "flags"])
            | st.text(max_size=8),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["json", "send", "binary", "deep", "multipart", "form"]))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    if kind == "send":
        fields = {"recipient": "fuzz@example.com", "subject": "s", "body": "b"}
        fields.update(draw(st.dictionaries(st.sampled_from(list(fields)), json_values)))
        return json.dumps(fields).encode()
    if kind == "deep":
        depth = draw(st.integers(90, 3000))
        return b"[" * depth + b"]" * draw(st.integers(0, depth))
    if kind == "multipart":
        part_type = draw(st.sampled_from([b"text/plain", b"text/html\nX: 1\n\n<script>", b""]))
        name = draw(st.binary(max_size=12))
        return (
            b'--fz\r\nContent-Disposition: form-data; name="attachment"; filename="'
            + name
            + b'"\r\nContent-Type: '
            + part_type
            + b"\r\n\r\n"
            + draw(st.binary(max_size=64))
            + b"\r\n--fz--\r\n"
        )
    if kind == "form":
        return b"recipient=a%40b.co&subject=" + draw(st.binary(max_size=40))
    return draw(st.binary(max_size=512))


def _framed(framing: str, body: bytes, noise: int) -> tuple[list[bytes], bytes]:
    """The framing headers and the bytes after the blank line."""
    length = b"Content-Length: %d" % len(body)
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body) if body else b"0\r\n\r\n"
    return {
        "length": ([length], body),
        "none": ([], body),
        "short": ([b"Content-Length: %d" % (len(body) + noise + 1)], body),
        "long": ([b"Content-Length: %d" % max(0, len(body) - noise)], body),
        "garbage": ([b"Content-Length: 1%c" % (noise % 256)], body),
        "twice-same": ([length, length], body),
        "twice-different": ([length, b"Content-Length: %d" % (len(body) + noise + 1)], body),
        "chunked": ([b"Transfer-Encoding: chunked"], chunked),
        "chunked-broken": ([b"Transfer-Encoding: chunked"], b"%x\r\n" % noise + body),
        "length-and-chunked": ([length, b"Transfer-Encoding: chunked"], chunked),
        "xchunked": ([b"Transfer-Encoding: xchunked"], chunked),
        "huge": ([b"Content-Length: 1000000000000"], body),
    }[framing]


@st.composite
def raw_requests(draw: st.DrawFn, host: str) -> tuple[bytes, bytes]:
    """One request, its method first. Half are framed correctly, so that they reach the app
    with their odd paths, keys and bodies; the other half may be broken anywhere."""
    tidy = draw(st.booleans())
    methods = st.sampled_from(METHODS[:6])
    paths = st.sampled_from(API_PATHS * 2 + OTHER_PATHS).map(str.encode)
    hosts = [[f"Host: {host}".encode()], [f"Host: LOCALHOST:{host.rpartition(':')[2]}".encode()]]
    keys = [KEY.encode()] * 3 + [None, b"wrong"]
    framings = ["length", "length", "none", "chunked"]
    if not tidy:
        methods = methods | st.sampled_from(METHODS) | st.binary(max_size=8)
        paths = paths | st.binary(max_size=40).map(lambda raw: b"/" + raw)
        hosts += [[], [b"Host: rebind.example"], [hosts[0][0], b"Host: rebind.example"]]
        keys += ["cl\u00e9".encode(), b"\xff"]
        framings = FRAMINGS
    method = draw(methods)
    version = draw(st.sampled_from(VERSIONS)) if not tidy else b"HTTP/1.1"
    head = [b" ".join(part for part in (method, draw(paths), version) if part)]
    head += draw(st.sampled_from(hosts))
    key = draw(st.sampled_from(keys))
    if key is not None:
        scheme = draw(st.sampled_from([b"Api-Key ", b"Bearer ", b""])) if not tidy else b"Api-Key "
        head.append(b"Authorization: " + scheme + key)
    if draw(st.booleans()):
        head.append(b"Content-Type: " + draw(st.sampled_from(CONTENT_TYPES)))
    for _ in range(draw(st.integers(0, 0 if tidy else 3))):
        value = draw(st.binary(max_size=24) | st.sampled_from([b"100-continue", b"close"]))
        head.append(draw(st.sampled_from(HEADER_NAMES)) + b": " + value)
    framing = draw(st.sampled_from(framings))
    framing_headers, after = _framed(framing, draw(bodies()), draw(st.integers(0, 300)))
    head += framing_headers
    return method, b"\r\n".join(head) + b"\r\n\r\n" + after


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    child = Server("--api-key", KEY)
    yield child
    child.kill()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/<pid>/status")
@pytest.mark.timeout(90)
def test_malformed_requests_never_get_a_5xx_nor_grow_the_server(
    server: Server, record_property: Callable[[str, object], None]
) -> None:
    host = host_header(server.url)
    statuses: Counter[int] = Counter()
    sent = 0
    # Warm up the server's threads and arenas on a few sends, then measure from there.
    warm = (
        f"POST /v1/email/send/ HTTP/1.1\r\nHost: {host}\r\nAuthorization: Api-Key {KEY}\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    ).encode()
    for _ in range(50):
        exchange(server.url, warm)
    before = _rss_mib(server.process.pid)
    started = time.monotonic()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=raw_requests(host))
    def one_request(request: tuple[bytes, bytes]) -> None:
        nonlocal sent
        method, data = request
        sent += 1
        answers = parse_answers(exchange(server.url, data), head_request=method == b"HEAD")
        statuses.update(answer.status for answer in answers)
        assert all(answer.status < 500 for answer in answers), (data[:300], answers)

    one_request()
    seconds = time.monotonic() - started
    grown = _rss_mib(server.process.pid) - before
    assert server.process.poll() is None, "the server died"

    record_property(
        "figures",
        f"{sent} malformed requests in {seconds:.1f} s, {sum(statuses.values())} answers, "
        f"{sum(n for s, n in statuses.items() if s >= 500)} of them 5xx; statuses "
        f"{dict(sorted(statuses.items()))}; server RSS {before:.0f} MB, grew {grown:.1f} MB",
    )
    assert sent >= EXAMPLES
    assert not [status for status in statuses if status >= 500]
    assert grown < 50
