"""HTTP/1.1 keep-alive: one pooled connection serves many calls."""

from __future__ import annotations

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api


def test_one_session_reuses_one_connection(api: Api, sandbox: Sandbox) -> None:
    api.upsert("a@b.co")
    api.get("/v1/recipients/")
    api.send("a@b.co")
    api.get("/v1/email/list/")
    api.get("/v1/email/detail/NOPE/")
    api.post("/v1/email/send/", json={})
    api.delete("/v1/flows/subscriptions/", params={"email": "a@b.co"})

    assert len(sandbox.requests) == 7
    assert len({r.connection_id for r in sandbox.requests}) == 1


def test_errors_do_not_close_the_connection(api: Api, anon: Api, sandbox: Sandbox) -> None:
    for _ in range(3):
        anon.get("/v1/recipients/")
        anon.get("/v1/no-such-path/")

    assert len({r.connection_id for r in sandbox.requests}) == 1


def test_two_sessions_use_two_connections(api: Api, sandbox: Sandbox) -> None:
    other = Api(sandbox.url, sandbox.api_key)
    try:
        api.get("/v1/recipients/")
        other.get("/v1/recipients/")
        api.get("/v1/recipients/")
    finally:
        other.close()

    first, second, third = (r.connection_id for r in sandbox.requests)
    assert first == third != second


def test_responses_are_http_1_1_with_a_length(api: Api) -> None:
    response = api.get("/v1/recipients/")

    assert response.raw.version == 11
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert response.headers.get("Connection", "").lower() != "close"
