"""Malformed requests: always a documented 4xx JSON body, never a 500, and the server goes on."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from notifiedby.sandbox import Sandbox
from tests.sandbox._openapi import document
from tests.sandbox.conftest import Api

SEND = "/v1/email/send/"
POST_PATHS = [
    SEND,
    "/v1/flows/subscribe/",
    "/v1/flows/unsubscribe/",
    "/v1/recipients/",
    "/v1/recipients/flags/set/",
    "/v1/recipients/flags/clear/",
]
#: Bigger than any sane request-size limit, smaller than what makes the suite slow.
HUGE = 64 * 1024 * 1024


@pytest.fixture(autouse=True)
def _still_serving(api: Api) -> Iterator[None]:
    yield
    assert api.get("/v1/recipients/").status_code == 200, "the server stopped serving"


def _assert_4xx(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body, dict)
    assert body
    return body


@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize(
    "raw",
    [b'{"email": ', b"{'email': 'a@b.co'}", b"", b"null", b"[1, 2]", b'"text"', b"NaN", b"{} {}"],
    ids=["truncated", "single-quotes", "empty", "null", "list", "string", "nan", "two-values"],
)
def test_wrong_json(api: Api, sandbox: Sandbox, path: str, raw: bytes) -> None:
    response = api.post(path, data=raw, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    _assert_4xx(response)
    assert sandbox.emails == []
    assert sandbox.recipients == sandbox.subscriptions == []


@pytest.mark.parametrize("path", POST_PATHS)
def test_non_utf8_json(api: Api, path: str) -> None:
    response = api.post(
        path,
        data=b'{"email": "\xff\xfe@b.co", "recipient": "\xff@b.co"}',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    _assert_4xx(response)


def test_non_utf8_form(api: Api, sandbox: Sandbox) -> None:
    response = api.post(
        SEND,
        data=b"recipient=a%40b.co&subject=%FF%FE&body=\xff",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    _assert_4xx(response)
    assert sandbox.emails == []


def test_broken_multipart(api: Api) -> None:
    response = api.post(
        SEND,
        data=b'--xyz\r\nContent-Disposition: form-data; name="recipient"\r\n\r\na@b.co',
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )

    _assert_4xx(response)


def test_multipart_without_boundary(api: Api) -> None:
    response = api.post(SEND, data=b"whatever", headers={"Content-Type": "multipart/form-data"})

    _assert_4xx(response)


@pytest.mark.parametrize("path", POST_PATHS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
def test_unsupported_content_type(api: Api, path: str, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}

    response = api.post(path, data=b'{"email": "a@b.co"}', headers=headers)

    _assert_4xx(response)


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        (SEND, {"recipient": ["a@b.co"], "subject": "s", "body": "b"}, "recipient"),
        (SEND, {"recipient": "a@b.co", "subject": {"x": 1}, "body": "b"}, "subject"),
        (SEND, {"recipient": "a@b.co", "subject": "s", "body": ["b"]}, "body"),
        (SEND, {"recipient": "a@b.co", "subject": "s", "body": "b", "flags": 5}, "flags"),
        (
            SEND,
            {"recipient": "a@b.co", "subject": "s", "body": "b", "use_account_template": "maybe"},
            "use_account_template",
        ),
        (
            SEND,
            {"recipient": "a@b.co", "subject": "s", "body": "b", "first_name": []},
            "first_name",
        ),
        (SEND, {"recipient": "a@b.co", "subject": "", "body": "b"}, "subject"),
        (SEND, {"recipient": "a@b.co", "subject": "s", "body": None}, "body"),
        ("/v1/flows/subscribe/", {"flow_trigger": 5, "email": "a@b.co"}, "flow_trigger"),
        ("/v1/flows/subscribe/", {"flow_trigger": "WELCOME_SIGNUP", "email": 5}, "email"),
        (
            "/v1/flows/subscribe/",
            {"flow_trigger": "WELCOME_SIGNUP", "email": "a@b.co", "flags": 7},
            "flags",
        ),
        ("/v1/flows/unsubscribe/", {"flow_trigger": ["W"], "email": "a@b.co"}, "flow_trigger"),
        ("/v1/recipients/", {"email": "a@b.co", "first_name": 3.5}, "first_name"),
        ("/v1/recipients/", {"email": "a@b.co", "last_name": {"a": "b"}}, "last_name"),
    ],
)
def test_wrong_types(api: Api, sandbox: Sandbox, path: str, payload: Any, field: str) -> None:
    response = api.post(path, json=payload)

    assert response.status_code == 400
    assert field in _assert_4xx(response)
    assert sandbox.emails == []
    assert sandbox.subscriptions == []


@pytest.mark.parametrize(
    "path",
    ["/v1/nope/", "/nope", "/v1/", "/v2/email/send/", "/v1/email/", "/v1/email/send/extra/"],
)
def test_unknown_path(api: Api, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 404
    assert set(_assert_4xx(response)) == {"detail"}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/email/send",
        "/v1/email/list",
        "/v1/recipients",
        "/v1/flows/subscriptions",
        "/v1/email/detail/ABC",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_path_without_trailing_slash(api: Api, method: str, path: str) -> None:
    response = api.request(method, path, json={}, allow_redirects=False)

    _assert_4xx(response)


def _operations() -> list[tuple[str, str]]:
    out = []
    for template, item in document()["paths"].items():
        path = template.replace("{id}", "ABC")
        out += [
            (m, path) for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m.lower() not in item
        ]
    return out


@pytest.mark.parametrize(("method", "path"), _operations())
def test_wrong_method(api: Api, method: str, path: str) -> None:
    response = api.request(method, path, json={})

    assert response.status_code == 405
    assert set(_assert_4xx(response)) == {"detail"}
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    documented = {m.upper() for m in document()["paths"][_template(path)]}
    assert documented <= allowed


def _template(path: str) -> str:
    return path.replace("/ABC/", "/{id}/")


@pytest.mark.parametrize(
    "path",
    [
        "/v1/email/detail/..%2Fx/",
        "/v1/email/detail/..%2F..%2Fv1%2Frecipients/",
        "/v1/email/detail/%2e%2e/",
        "/v1/email/detail/%00/",
        "/v1/email/detail/%FF%FE/",
        "/v1/email/detail/%C3%A9t%C3%A9/",
        "/v1/email/detail/" + "A" * 5000 + "/",
        "/v1/email/detail/a%2Fb/",
    ],
)
def test_odd_ids_in_the_path(api: Api, path: str) -> None:
    api.send()

    response = api.get(path)

    assert response.status_code in (400, 404)
    _assert_4xx(response)


def test_path_traversal_on_delivery(api: Api) -> None:
    response = api.get("/v1/email/delivery/..%2Fx/")

    assert response.status_code == 404
    assert response.json() == {"error": "Email not found"}


@pytest.mark.parametrize(
    "query",
    ["page=%FF", "page=1e3", "page=" + "9" * 50, "page_size=%00", "email=%FF%FE", "id=%C0"],
)
def test_odd_query_strings(api: Api, query: str) -> None:
    api.upsert("a@b.co")

    for path in ("/v1/recipients/", "/v1/email/list/", "/v1/email/detail/"):
        response = api.get(f"{path}?{query}")
        assert response.status_code < 500


@pytest.mark.parametrize(
    "header",
    ["Api-Key", "Api-Key ", "Bearer x", "Api-Key a b", "api-key wrong", "x" * 10000],
)
def test_odd_authorization_headers(anon: Api, header: str) -> None:
    response = anon.get("/v1/recipients/", headers={"Authorization": header})

    assert response.status_code == 401


def _raw_request(url: str, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", [SEND, "/v1/recipients/"])
def test_content_length_over_the_limit(sandbox: Sandbox, path: str) -> None:
    status, headers, body = _raw_request(
        sandbox.url,
        "POST",
        path,
        {
            "Authorization": f"Api-Key {sandbox.api_key}",
            "Content-Type": "application/json",
            "Content-Length": str(10**12),
        },
        b"{}",
    )

    assert status == 413
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body)


def test_huge_body_over_the_limit(api: Api, sandbox: Sandbox) -> None:
    payload = json.dumps({"recipient": "a@b.co", "subject": "s", "body": "x" * HUGE}).encode()

    response = api.post(SEND, data=payload, headers={"Content-Type": "application/json"})

    assert response.status_code == 413
    _assert_4xx(response)
    assert sandbox.emails == []


@pytest.mark.parametrize(
    "content_length", ["abc", "-1", "1.5"], ids=["letters", "negative", "fraction"]
)
def test_bad_content_length(sandbox: Sandbox, content_length: str) -> None:
    status, _, body = _raw_request(
        sandbox.url,
        "POST",
        "/v1/recipients/",
        {
            "Authorization": f"Api-Key {sandbox.api_key}",
            "Content-Type": "application/json",
            "Content-Length": content_length,
        },
        b"",
    )

    assert 400 <= status < 500
    assert b"Traceback" not in body


def _raw_exchange(sandbox: Sandbox, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Write ``data`` on a fresh socket and parse the one answer, whatever the request was."""
    parts = urlsplit(sandbox.url)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"the server closed without an answer: {received!r}"
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("iso-8859-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    return int(status_line.split()[1]), headers, body


def _assert_raw_4xx_json(answer: tuple[int, dict[str, str], bytes]) -> None:
    status, headers, body = answer
    assert 400 <= status < 500, answer
    assert headers.get("content-type", "").startswith("application/json"), answer
    assert "detail" in json.loads(body), answer


@pytest.mark.parametrize(
    "data",
    [
        b"GET /v1/ recipients/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v1/recipients/ HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n",
        b"GET /v1/recipients/ HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
    ],
    ids=["request-line", "long-header", "header-syntax"],
)
def test_malformed_http_gets_a_json_answer(sandbox: Sandbox, data: bytes) -> None:
    _assert_raw_4xx_json(_raw_exchange(sandbox, data))


def test_a_chunked_body_is_read_or_refused_in_json(sandbox: Sandbox) -> None:
    body = b'{"email": "chunk@example.com"}'
    answer = _raw_exchange(
        sandbox,
        f"POST /v1/recipients/ HTTP/1.1\r\nHost: {urlsplit(sandbox.url).netloc}\r\n".encode()
        + f"Authorization: Api-Key {sandbox.api_key}\r\n".encode()
        + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{len(body):x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n",
    )

    if answer[0] == 201:
        assert json.loads(answer[2])["email"] == "chunk@example.com"
    else:
        _assert_raw_4xx_json(answer)
