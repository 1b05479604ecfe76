"""Fixtures for the client tests: clients pointed at the sandbox, and sockets that misbehave."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from notifiedby.client import NotifiedByClient
from notifiedby.sandbox import Sandbox
from tests.conftest import SDK_ENVIRONMENT

#: An encryption key long enough that its masked form shows its last 4 characters.
ENCRYPTION_KEY = "enc-key-0123456789-abcdefghij-SECRET"

MakeClient = Callable[..., NotifiedByClient]


def fast(client: NotifiedByClient) -> NotifiedByClient:
    """Shrink the backoff so retries cost milliseconds, and pin the jitter to its upper bound."""
    client.backoff_base = 0.001
    client.backoff_max = 0.01
    client._jitter = lambda seconds: seconds  # type: ignore[method-assign]
    return client


@pytest.fixture
def make_client(sandbox: Sandbox) -> Iterator[MakeClient]:
    """Build clients for the sandbox (its key and URL unless given), closed after the test."""
    made: list[NotifiedByClient] = []

    def make(**options: Any) -> NotifiedByClient:
        options.setdefault("api_key", sandbox.api_key)
        options.setdefault("base_url", sandbox.url)
        client = fast(NotifiedByClient(**options))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> NotifiedByClient:
    """A client for the sandbox with the default timeouts and retries, and a tiny backoff."""
    return make_client()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[str]:
    """The URL of a server that accepts connections and reads, but never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.05)  # so the accept loop notices the end of the test
    held: list[socket.socket] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    done.set()
    thread.join(2)
    server.close()
    for connection in held:
        connection.close()


@pytest.fixture
def unreachable_server() -> Iterator[str]:
    """The URL of a port whose accept queue is full: new connections hang in the handshake
    (the kernel drops the SYN), so connecting times out, as with a firewalled host."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):  # the handshake completes in the background
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield f"http://127.0.0.1:{port}"
    for filler in fillers:
        filler.close()
    server.close()


@pytest.fixture
def no_django_sdk_settings() -> Iterator[None]:
    """Make sure Django settings (if another test configured them in this process) give no
    NOTIFIEDBY_* value, so the environment decides."""
    from django.conf import settings

    if not (settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE")):
        yield
        return
    from django.test import override_settings

    with override_settings(**dict.fromkeys(SDK_ENVIRONMENT)):
        yield
