"""A server that echoes the keys it was sent: none of them stays on what the SDK returns or
raises, in ``body``, ``headers``, ``field_errors``, the message or the hint.

The keys contain "/", which JSON may send escaped as "\\/": the decoded body holds the key
all the same, and must not.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from notifiedby.client import NotifiedByClient
from notifiedby.exceptions import NotifiedByAPIError, NotifiedByError
from tests.client.conftest import MakeClient
from tests.client.hostile import Behaviour, HostileServer, header, hostile_server

API_KEY = "sk/live/echo-0123456789-abcdefghij"
ENCRYPTION_KEY = "enc/echo-9876543210-zyxwvutsrq"
SECRETS = (API_KEY, ENCRYPTION_KEY)


def answer(status: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def keys_of(head: bytes) -> tuple[str, str]:
    authorization = header(head, "Authorization") or ""
    return authorization.removeprefix("Api-Key "), header(head, "Encryption-Key") or ""


def echo_json(status: str) -> Behaviour:
    def serve(server: HostileServer, connection: socket.socket, head: bytes) -> None:
        api_key, encryption_key = keys_of(head)
        body = {
            "recipient": [f"Invalid key {api_key}"],
            "nested": {"keys": [api_key, {"enc": encryption_key}], api_key: "as a name"},
        }
        # Escape "/" as some servers do: the key is not verbatim in the bytes.
        text = json.dumps(body).replace("/", "\\/")
        echo = {"X-Echo": f"Api-Key {api_key}", "X-Encryption": encryption_key}
        server.send(connection, answer(status, echo, text.encode()))

    return serve


EchoClient = Callable[[Behaviour], NotifiedByClient]


@pytest.fixture
def echo_client(make_client: MakeClient) -> Iterator[EchoClient]:
    """Build a client with both keys for a hostile server running ``behaviour``."""
    with contextlib.ExitStack() as servers:

        def make(behaviour: Behaviour) -> NotifiedByClient:
            server = servers.enter_context(hostile_server(behaviour))
            return make_client(
                api_key=API_KEY, encryption_key=ENCRYPTION_KEY, base_url=server.url, max_retries=0
            )

        yield make


def assert_clean(*values: Any) -> None:
    text = repr(values)
    for secret in SECRETS:
        assert secret not in text
        assert secret[:-4] not in text
        assert json.dumps(secret)[1:-1].replace("/", "\\/") not in text


def raised(call: Any) -> NotifiedByError:
    with pytest.raises(NotifiedByError) as info:
        call()
    return info.value


@pytest.mark.parametrize("status", ["400 Bad Request", "429 Too Many", "503 Unavailable"])
def test_echoed_keys_are_redacted_from_body_headers_and_field_errors(
    echo_client: EchoClient, status: str
) -> None:
    client = echo_client(echo_json(status))

    error = raised(lambda: client.get("/email/list/"))

    assert isinstance(error, NotifiedByAPIError)
    assert_clean(error.body, error.headers, error.field_errors, str(error), repr(error))
    assert error.body["recipient"] == ["Invalid key …"]
    assert error.body["nested"] == {"keys": ["…", {"enc": "…"}], "…": "as a name"}
    assert error.headers["X-Echo"] == "Api-Key …"
    assert error.headers["X-Encryption"] == "…"


def test_a_long_text_body_is_redacted_before_it_is_cut(echo_client: EchoClient) -> None:
    def serve(server: HostileServer, connection: socket.socket, head: bytes) -> None:
        # The key straddles the 2,000 characters kept of a text body.
        text = "x" * 1990 + keys_of(head)[0] + "y" * 100
        server.send(connection, answer("500 Oops", {}, text.encode()))

    error = raised(lambda: echo_client(serve).get("/email/list/"))

    assert isinstance(error, NotifiedByAPIError)
    assert isinstance(error.body, str)
    assert error.body.startswith("x" * 1990 + "…y")
    assert_clean(error.body, str(error))


def test_a_key_in_the_reason_phrase_or_a_redirect_is_redacted(echo_client: EchoClient) -> None:
    def serve(server: HostileServer, connection: socket.socket, head: bytes) -> None:
        api_key, _ = keys_of(head)
        if "/first/" in head.decode():
            server.send(connection, answer(f"418 {api_key}", {}, b""))
        else:
            redirect = {"Location": f"https://elsewhere.example/?key={api_key}"}
            server.send(connection, answer("302 Found", redirect, b""))

    client = echo_client(serve)
    teapot = raised(lambda: client.get("/first/"))
    moved = raised(lambda: client.get("/second/"))

    assert str(teapot).startswith("… (HTTP 418 on GET /first/)")
    assert "?key=…" in str(moved)
    assert_clean(str(teapot), str(moved), vars(teapot), vars(moved))


def test_a_key_echoed_in_a_success_is_redacted_from_the_answer(echo_client: EchoClient) -> None:
    def serve(server: HostileServer, connection: socket.socket, head: bytes) -> None:
        body = json.dumps([{"note": f"you sent {keys_of(head)[0]}"}]).encode()
        server.send(connection, answer("200 OK", {}, body))

    assert echo_client(serve).get("/email/list/") == [{"note": "you sent …"}]


def test_the_size_cap_error_has_its_headers_redacted(make_client: MakeClient) -> None:
    def serve(server: HostileServer, connection: socket.socket, head: bytes) -> None:
        headers = f"HTTP/1.1 200 OK\r\nX-Echo: {keys_of(head)[0]}\r\nContent-Length: 999999\r\n\r\n"
        server.send(connection, headers.encode())

    with hostile_server(serve) as server:
        client = make_client(api_key=API_KEY, base_url=server.url, max_response_bytes=1000)
        error = raised(lambda: client.get("/email/list/"))

    assert isinstance(error, NotifiedByAPIError)
    assert error.headers["X-Echo"] == "…"
    assert_clean(error.headers, str(error))


def test_a_body_nested_too_deep_to_decode_is_kept_as_text(echo_client: EchoClient) -> None:
    def serve(server: HostileServer, connection: socket.socket, head: bytes) -> None:
        body = "[" * 100_000 + json.dumps(keys_of(head)[0]) + "]" * 100_000
        server.send(connection, answer("400 Bad Request", {}, body.encode()))

    error = raised(lambda: echo_client(serve).get("/email/list/"))

    assert isinstance(error, NotifiedByAPIError)
    assert isinstance(error.body, str)
    assert error.body.startswith("[[[")
    assert_clean(error.body, str(error))
