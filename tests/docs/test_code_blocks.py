"""Every python block of the documentation runs against a sandbox, so the docs can't rot.

The conventions (one namespace per page, the ``no-run`` marker, placeholder keys and
addresses) are described in ``tests/docs/blocks.py``.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from notifiedby.sandbox import Sandbox
from tests.docs.blocks import (
    PLACEHOLDER_KEYS,
    PYTHON,
    ROOT,
    SANDBOX_ADDRESSES,
    Block,
    pages,
    read_blocks,
)

RUNNER = Path(__file__).with_name("run_page.py")


def runnable(page: Path) -> list[Block]:
    return [b for b in read_blocks(page) if b.lang in PYTHON and b.no_run is None]


PAGES = [page for page in pages() if runnable(page)]


def test_markers_are_well_formed_and_rare() -> None:
    skipped = [b for page in pages() for b in read_blocks(page) if b.no_run is not None]
    python = [b for page in pages() for b in read_blocks(page) if b.lang in PYTHON]

    assert PAGES, "no page has a python block"
    # The escape hatch stays an exception: most blocks must run.
    assert len(skipped) * 4 <= len(python), [f"{b.path.name}:{b.line}" for b in skipped]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_page_runs(page: Path) -> None:
    blocks = [[str(b.path.relative_to(ROOT)), b.line, b.code] for b in runnable(page)]
    # A key of its own first: that is the one the environment gives the blocks.
    with Sandbox([f"docs_{secrets.token_hex(8)}", *PLACEHOLDER_KEYS]) as sandbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFIEDBY_", "DJANGO_"))}
        env.update(
            NOTIFIEDBY_BASE_URL=sandbox.url,
            NOTIFIEDBY_API_KEY=sandbox.api_key,
            DOCS_SANDBOX_ADDRESSES=json.dumps(SANDBOX_ADDRESSES),
        )
        done = subprocess.run(
            [sys.executable, "-W", "error", str(RUNNER)],
            input=json.dumps(blocks),
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-4000:]
