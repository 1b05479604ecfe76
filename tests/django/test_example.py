"""The example Django project passes its own tests against a sandbox, as a user's project would:
under plain pytest, under pytest-django, and under ``manage.py test``, with an encryption key
set so the tests read sealed emails' plaintext. (scripts/check-package.sh runs ``manage.py
test`` once more where pytest is not installed.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_project"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist"]


@pytest.mark.parametrize(
    ("command", "passed"),
    [
        pytest.param([*PYTEST, "-p", "no:django"], "5 passed", id="pytest"),
        pytest.param([*PYTEST, "-p", "django"], "5 passed", id="pytest-django"),
        pytest.param([sys.executable, "manage.py", "test"], "Ran 3 tests", id="manage.py-test"),
    ],
)
def test_the_example_project_passes_its_tests(command: list[str], passed: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFIEDBY_", "DJANGO_"))}
    env.pop("PYTEST_XDIST_WORKER", None)
    env["NOTIFIEDBY_ENCRYPTION_KEY"] = "example-tests-only-key"
    result = subprocess.run(
        command, cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=120
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert passed in output
