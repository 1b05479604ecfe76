"""The demo that `make demo` runs works, on a given sandbox and on its own embedded one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from notifiedby.cli import demo
from notifiedby.sandbox import Sandbox


def test_tour_runs(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    demo.main(sandbox.url, sandbox.api_key)

    out = capsys.readouterr().out
    assert "Complete example: Grace signs up" in out
    assert "Re-engage Inactive Flow" in out
    grace = [s for s in sandbox.subscriptions if s["recipient_email"] == "grace@example.com"]
    assert {(s["flow_trigger"], s["status"]) for s in grace} == {
        ("WELCOME_SIGNUP", "active"),
        ("PREMIUM_ONBOARDING", "cancelled"),
        ("REENGAGE_INACTIVE", "active"),
    }


def test_the_demo_command_runs_on_its_own_sandbox() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "notifiedby", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "NotifiedBy sandbox running at http://127.0.0.1:" in done.stdout
    assert "blocked: " in done.stdout
    assert "Traceback" not in done.stderr
