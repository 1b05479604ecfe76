"""Fixtures shared by the whole suite: a sandbox server per test, a clean environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notifiedby.sandbox import Sandbox

#: Environment variables the SDK reads; cleared for every test so the host's shell can't leak in.
SDK_ENVIRONMENT = (
    "NOTIFIEDBY_API_KEY",
    "NOTIFIEDBY_ENCRYPTION_KEY",
    "NOTIFIEDBY_BASE_URL",
    "NOTIFIEDBY_TIMEOUT",
    "NOTIFIEDBY_MAX_RETRIES",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SDK_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _shared_sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def sandbox(_shared_sandbox: Sandbox) -> Sandbox:
    """A running sandbox, reset to its starting state (example flows, no faults) for each test."""
    _shared_sandbox.reset()
    return _shared_sandbox
