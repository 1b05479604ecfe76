"""Plain ``requests`` clients for the sandbox tests, checking every answer against the document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
import requests

from notifiedby.sandbox import Sandbox
from tests.sandbox._openapi import check_response

if TYPE_CHECKING:
    from tests.sandbox.test_cli import Server

#: Seconds before a test request gives up, so a hung server fails the test instead of the run.
REQUEST_TIMEOUT = 10


class Api:
    """A ``requests.Session`` bound to one sandbox: paths in, responses out."""

    def __init__(self, url: str, api_key: str | None, *, check: bool = True) -> None:
        #: The sandbox's base URL, without ``/v1``.
        self.url = url
        #: The underlying session (one pooled keep-alive connection).
        self.session = requests.Session()
        if api_key is not None:
            self.session.headers["Authorization"] = f"Api-Key {api_key}"
        if check:
            self.session.hooks["response"].append(self._check)

    @staticmethod
    def _check(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        check_response(response)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request to ``path`` (which starts with ``/``) on the sandbox."""
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        return self.session.request(method, self.url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        self.session.close()

    # Shortcuts for arranging state through the public API.

    def send(self, recipient: str = "ann@example.com", **fields: Any) -> str:
        """Send one email and return its id."""
        payload = {"recipient": recipient, "subject": "Hello", "body": "<p>Hi</p>", **fields}
        response = self.post("/v1/email/send/", json=payload)
        assert response.status_code == 200, response.text
        sqid: str = response.json()["id"]
        return sqid

    def upsert(self, email: str, **fields: Any) -> dict[str, Any]:
        """Create or update a recipient and return it."""
        response = self.post("/v1/recipients/", json={"email": email, **fields})
        assert response.status_code in (200, 201), response.text
        recipient: dict[str, Any] = response.json()
        return recipient

    def subscribe(self, email: str, trigger: str = "WELCOME_SIGNUP") -> int:
        """Subscribe ``email`` to a flow and return the subscription id."""
        response = self.post("/v1/flows/subscribe/", json={"flow_trigger": trigger, "email": email})
        assert response.status_code == 201, response.text
        subscription_id: int = response.json()["subscription_id"]
        return subscription_id


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[Api]:
    """An authenticated client whose every answer is checked against openapi.json."""
    client = Api(sandbox.url, sandbox.api_key)
    yield client
    client.close()


@pytest.fixture
def anon(sandbox: Sandbox) -> Iterator[Api]:
    """A client that sends no Authorization header (answers still checked)."""
    client = Api(sandbox.url, None)
    yield client
    client.close()


@pytest.fixture
def control(sandbox: Sandbox) -> Iterator[Api]:
    """A client for the ``/_sandbox/`` control surface (no key, no document check)."""
    client = Api(sandbox.url, None, check=False)
    yield client
    client.close()


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Command-line sandboxes (``tests.sandbox.test_cli.Server``) a test starts, killed at
    its end."""
    started: list[Server] = []
    yield started
    for server in started:
        server.kill()
