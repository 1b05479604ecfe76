"""Fixtures for the command-line tests: the environment a shell user would set."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from notifiedby.cli import main
from notifiedby.sandbox import Sandbox


class Result:
    """What one in-process run of the command line gave: exit code, stdout, stderr."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Point the command line at the sandbox through the environment, as a user would."""
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", sandbox.url)
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", sandbox.api_key)
    return sandbox


@pytest.fixture
def run(cli_env: Sandbox, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``notifiedby ARGS...`` in-process and return a Result."""

    def run_cli(*args: str) -> Result:
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run_cli


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def assert_one_line_error(result: Result, code: int) -> None:
    """The command failed with ``code``, one message line on stderr and no traceback."""
    assert result.code == code, (result.code, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("notifiedby: error: ")
    assert "Traceback" not in result.err
    assert result.out == ""
