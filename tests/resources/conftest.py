"""Fixtures for the resource tests: a client on the sandbox, and request counting."""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest

from notifiedby import NotifiedByClient
from notifiedby.sandbox import RecordedRequest, Sandbox

T = TypeVar("T")


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[NotifiedByClient]:
    """A client pointed at the sandbox, passed explicitly (``using(client)``, ``client=``)."""
    with NotifiedByClient(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0) as c:
        yield c


@pytest.fixture
def sandbox_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Point the default client at the sandbox through the environment variables, which the
    settings resolver reads when Django settings aren't configured: documented code that
    passes no client then runs as written."""
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", sandbox.api_key)
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", sandbox.url)
    return sandbox


@pytest.fixture
def api_calls(sandbox: Sandbox) -> Callable[[], list[RecordedRequest]]:
    """Return a function that gives the API requests made since it was last called."""
    seen = len(sandbox.requests)

    def since() -> list[RecordedRequest]:
        nonlocal seen
        requests = sandbox.requests
        new, seen = requests[seen:], len(requests)
        return new

    return since


def make_recipients(client: NotifiedByClient, count: int, prefix: str = "user") -> list[str]:
    """Create ``count`` recipients named ``<prefix>NN@example.com``; return their addresses."""
    from notifiedby import Recipient

    emails = [f"{prefix}{i:03d}@example.com" for i in range(count)]
    for email in emails:
        Recipient.objects.using(client).create(email=email, first_name=prefix.title())
    return emails


def pickled(obj: T, protocol: int = pickle.DEFAULT_PROTOCOL) -> T:
    """Return ``obj`` after a trip through pickle, as a cache or a task queue gives it back."""
    loaded: T = pickle.loads(pickle.dumps(obj, protocol=protocol))  # noqa: S301  # our own bytes
    return loaded
