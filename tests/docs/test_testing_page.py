"""docs/testing.md's examples are tests of the example shop: run them there, as a reader would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.docs.blocks import PYTHON, ROOT, read_blocks

PAGE = ROOT / "docs" / "testing.md"
EXAMPLE = ROOT / "examples" / "django_project"


def test_the_testing_page_examples_pass_in_the_example_project(tmp_path: Path) -> None:
    blocks = [block for block in read_blocks(PAGE) if block.lang in PYTHON]
    tests = sum(len(re.findall(r"^\s*def test_", block.code, re.M)) for block in blocks)
    assert tests >= 4, "the page lost its examples"
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("test*.py", "tests.py"))
    for number, block in enumerate(blocks):
        (project / f"test_page_block_{number}.py").write_text(block.code)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFIEDBY_", "DJANGO_"))}
    env.pop("PYTEST_XDIST_WORKER", None)
    env["NOTIFIEDBY_ENCRYPTION_KEY"] = "docs-tests-only-key"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:xdist", "-p", "no:django"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{tests} passed" in result.stdout
