"""Fixtures shared by the whole suite: a sandbox server per test, a clean environment."""

from __future__ import annotations

import pytest

from notifiedby.sandbox import Sandbox

# Issue 6: print recorded reliability figures at the end of the run, and fail any test
# whose logs, warnings or exception texts show a key it used.
from tests._figures import pytest_terminal_summary  # noqa: F401
from tests._leak_guard import leak_guard, leak_secrets, pytest_runtest_makereport  # noqa: F401

#: Environment variables the SDK reads; cleared for every test so the host's shell can't leak in.
SDK_ENVIRONMENT = (
    "NOTIFIEDBY_API_KEY",
    "NOTIFIEDBY_ENCRYPTION_KEY",
    "NOTIFIEDBY_BASE_URL",
    "NOTIFIEDBY_TIMEOUT",
    "NOTIFIEDBY_MAX_RETRIES",
    "NOTIFIEDBY_DEADLINE",
    "NOTIFIEDBY_MAX_RESPONSE_BYTES",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SDK_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def _shared_sandbox(notifiedby_sandbox_server: Sandbox) -> Sandbox:
    # The plugin's server (notifiedby.testing), so `sandbox` and `notifiedby_sandbox` agree.
    return notifiedby_sandbox_server


@pytest.fixture
def sandbox(_shared_sandbox: Sandbox) -> Sandbox:
    """A running sandbox, reset to its starting state (example flows, no faults) for each test."""
    _shared_sandbox.reset()
    return _shared_sandbox
