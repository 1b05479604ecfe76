"""The suppression list's admin pages load, filter, search and add (in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(60)


def test_the_admin_lists_filters_and_adds_suppressed_addresses() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("NOTIFIEDBY")}
    # tests.outbox.pg_settings reads its server from these; this run uses SQLite instead.
    env.update({f"NOTIFIEDBY_TEST_PG_{n}": "unused" for n in ("DATABASE", "HOST", "PORT", "USER")})
    env["DJANGO_SETTINGS_MODULE"] = "tests.suppression.admin_settings"
    done = subprocess.run(
        [sys.executable, "-m", "tests.suppression.admin_run"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=45,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    pages = json.loads(done.stdout.splitlines()[-1])
    for name in ("changelist", "filtered", "change", "add"):
        assert pages[name]["status"] == 200, name
    for name in ("changelist", "filtered", "change"):
        assert "listed@example.com" in pages[name]["html"], name
    assert "tracking" in pages["changelist"]["html"]
    assert 'value="admin"' in pages["add"]["html"]  # the source an admin entry starts with
    assert pages["posted"]["status"] == 302
    assert pages["addresses"] == ["added@example.com", "listed@example.com"]
