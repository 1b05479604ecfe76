"""The installed entry points as a shell runs them: ``python -m notifiedby``."""

from __future__ import annotations

import os
import subprocess
import sys

from notifiedby import __version__
from notifiedby.sandbox import Sandbox


def notifiedby(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "notifiedby", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_version() -> None:
    result = notifiedby("--version", env={})

    assert result.returncode == 0
    assert result.stdout.strip() == f"notifiedby {__version__}"


def test_check_and_bad_key_in_a_real_process(sandbox: Sandbox) -> None:
    env = {"NOTIFIEDBY_BASE_URL": sandbox.url, "NOTIFIEDBY_API_KEY": sandbox.api_key}

    good = notifiedby("check", env=env)
    bad = notifiedby("recipients", "list", env={**env, "NOTIFIEDBY_API_KEY": "wrong-key"})

    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("OK: ")
    assert bad.returncode == 5
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr
