"""The example Django project runs its own tests against a sandbox, as a user's project would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_project"


def test_the_example_project_passes_its_tests_against_the_sandbox() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFIEDBY_", "DJANGO_"))}
    env.pop("PYTEST_XDIST_WORKER", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
