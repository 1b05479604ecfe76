"""Webhook actions: POST JSON to loopback URLs only, and record every call and its outcome."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from notifiedby.sandbox import Sandbox
from notifiedby.sandbox.engine import is_loopback
from tests.sandbox.conftest import Api


class Receiver:
    """A loopback HTTP server that records what it receives and answers ``status``."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.status = 200
        #: Run on each call before answering, as a real app's webhook view would.
        self.on_call: Callable[[dict[str, Any]], None] = lambda payload: None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                payload = json.loads(self.rfile.read(length))
                receiver.received.append({"path": self.path, "json": payload, **self.headers})
                receiver.on_call(payload)
                self.send_response(receiver.status)
                if receiver.status == 302:
                    self.send_header("Location", "http://example.com/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def _hook_flow(sandbox: Sandbox, url: str, *after: dict[str, Any]) -> None:
    sandbox.define_flow(
        "HOOK",
        name="Hook Flow",
        steps=[{"type": "action", "action": "webhook", "url": url}, *after],
    )


def test_webhook_posts_json_and_is_recorded(api: Api, sandbox: Sandbox, receiver: Receiver) -> None:
    _hook_flow(sandbox, receiver.url + "/hooks/flow")
    api.upsert("a@b.co", first_name="Ann", flags=["trial"])
    subscription_id = api.subscribe("a@b.co", "HOOK")

    sandbox.advance()

    [call] = receiver.received
    assert call["path"] == "/hooks/flow"
    assert call["Content-Type"] == "application/json"
    payload = call["json"]
    assert payload["event"] == "flow.webhook"
    assert (payload["flow_trigger"], payload["flow_name"]) == ("HOOK", "Hook Flow")
    assert (payload["subscription_id"], payload["step"]) == (subscription_id, 1)
    assert payload["recipient"] == {
        "email": "a@b.co",
        "first_name": "Ann",
        "last_name": "",
        "flags": ["trial"],
    }
    [record] = sandbox.webhook_calls
    assert record["url"] == receiver.url + "/hooks/flow"
    assert (record["status"], record["outcome"]) == (200, "ok")
    assert record["payload"] == payload
    assert sandbox.subscriptions[0]["status"] == "completed"


def test_webhook_error_status_is_recorded_and_the_flow_goes_on(
    api: Api, sandbox: Sandbox, receiver: Receiver
) -> None:
    receiver.status = 500
    _hook_flow(sandbox, receiver.url, {"type": "email", "subject": "After", "body": "b"})
    api.subscribe("a@b.co", "HOOK")

    sandbox.advance()

    [record] = sandbox.webhook_calls
    assert (record["status"], record["outcome"]) == (500, "HTTP 500")
    assert [e.subject for e in sandbox.emails] == ["After"]


def test_webhook_redirects_are_not_followed(api: Api, sandbox: Sandbox, receiver: Receiver) -> None:
    receiver.status = 302
    _hook_flow(sandbox, receiver.url)
    api.subscribe("a@b.co", "HOOK")

    sandbox.advance()

    assert len(receiver.received) == 1
    assert sandbox.webhook_calls[0]["status"] == 302


def test_webhook_to_a_closed_port_records_the_failure(api: Api, sandbox: Sandbox) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _hook_flow(sandbox, f"http://127.0.0.1:{port}/hook")
    api.subscribe("a@b.co", "HOOK")

    sandbox.advance()

    [record] = sandbox.webhook_calls
    assert record["status"] is None
    assert record["outcome"].startswith("failed:")
    assert sandbox.subscriptions[0]["status"] == "completed"


def test_webhook_to_another_host_is_not_called(api: Api, sandbox: Sandbox) -> None:
    _hook_flow(sandbox, "https://hooks.example.com/flow")
    api.subscribe("a@b.co", "HOOK")

    sandbox.advance()

    [record] = sandbox.webhook_calls
    assert record["status"] is None
    assert record["outcome"] == "not called: the sandbox only calls loopback addresses"


def test_the_receiver_may_call_the_sandbox_and_later_steps_see_it(
    api: Api, sandbox: Sandbox, receiver: Receiver
) -> None:
    def set_flag(payload: dict[str, Any]) -> None:
        response = requests.post(
            sandbox.url + "/v1/recipients/flags/set/",
            json={"email": payload["recipient"]["email"], "flags": ["hooked"]},
            headers={"Authorization": f"Api-Key {sandbox.api_key}"},
            timeout=5,
        )
        assert response.status_code == 200

    receiver.on_call = set_flag
    _hook_flow(
        sandbox,
        receiver.url,
        {"type": "condition", "flag": "hooked", "if_false": "end"},
        {"type": "email", "subject": "Hooked", "body": "b"},
    )
    api.subscribe("a@b.co", "HOOK")

    sandbox.advance()

    assert [e.subject for e in sandbox.emails] == ["Hooked"]


def test_webhook_calls_show_in_the_state_and_reset_clears_them(
    api: Api, control: Api, sandbox: Sandbox
) -> None:
    _hook_flow(sandbox, "https://hooks.example.com/flow")
    api.subscribe("a@b.co", "HOOK")
    sandbox.advance()

    listed = control.get("/_sandbox/state/").json()["webhook_calls"]
    sandbox.reset()

    assert [call["url"] for call in listed] == ["https://hooks.example.com/flow"]
    assert sandbox.webhook_calls == []


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000/h", True),
        ("http://127.1.2.3/h", True),
        ("http://localhost/h", True),
        ("http://[::1]:9/h", True),
        ("http://example.com/h", False),
        ("http://10.0.0.1/h", False),
        ("http://127.0.0.1.nip.io/h", False),
    ],
)
def test_is_loopback(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback
