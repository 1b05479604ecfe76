"""Find the code blocks of the documentation, and the markers that govern them.

Every fenced ```python block of ``docs/**/*.md`` and ``README.md`` is run by
``test_code_blocks.py``. The blocks of one page run in order in one namespace, against a
fresh sandbox. A block that cannot run as written is preceded, on the line just before its
fence, by::

    <!-- docs: no-run (why it can't run) -->

The reason is required; use the marker sparingly (a ``settings.py`` excerpt, a pytest test
that needs fixtures). Shell sessions belong in ```console blocks, which are not run.

So that blocks can be written as a reader would type them, the page's sandbox also accepts
the placeholder keys in ``PLACEHOLDER_KEYS``, and the addresses in ``SANDBOX_ADDRESSES``
(where ``notifiedby sandbox`` listens by default) are pointed at it. The environment has
``NOTIFIEDBY_BASE_URL`` and ``NOTIFIEDBY_API_KEY`` set for it, and Django is configured with
the NotifiedBy email backend and an in-memory database, but no ``NOTIFIEDBY_*`` setting.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parents[2]
#: Languages whose blocks are executed.
PYTHON = frozenset({"python", "py"})
#: API keys the documentation writes where a reader puts their own.
PLACEHOLDER_KEYS = ("YOUR_API_KEY", "your-other-api-key")
#: Server addresses the documentation uses for a local sandbox.
SANDBOX_ADDRESSES = ("http://localhost:8025", "http://127.0.0.1:8025", "http://localhost:8000")

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
_MARKER = re.compile(r"^\s*<!--\s*docs:(?P<body>.*?)-->\s*$")
_NO_RUN = re.compile(r"^\s*no-run\s*\((?P<reason>.*\S.*)\)\s*$")


@attrs.frozen
class Block:
    """One fenced code block: where it starts, its language, its code, and its marker."""

    path: Path
    line: int  #: 1-based line number of the block's first line of code
    lang: str
    code: str
    no_run: str | None  #: the reason it is not run, or None


def pages() -> list[Path]:
    """Return every page whose code blocks are checked."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def read_blocks(path: Path) -> list[Block]:
    """Return the fenced code blocks of one Markdown page, in order.

    Raise ValueError for a malformed ``docs:`` marker or one that precedes no python block,
    so a typo can't silently keep a block from running.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            _check_marker(path, lines, i)
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        body = [
            line[len(indent) :] if line.startswith(indent) else line for line in lines[i + 1 : end]
        ]
        lang = opening["lang"].lower()
        no_run = _marker_reason(path, lines, i - 1) if i > 0 else None
        if no_run is not None and lang not in PYTHON:
            raise ValueError(f"{path}:{i}: a docs: marker must precede a python block")
        blocks.append(Block(path, i + 2, lang, "\n".join(body) + "\n", no_run))
        i = end + 1
    return blocks


def _marker_reason(path: Path, lines: list[str], index: int) -> str | None:
    marker = _MARKER.match(lines[index])
    if marker is None:
        return None
    no_run = _NO_RUN.match(marker["body"])
    if no_run is None:
        raise ValueError(f"{path}:{index + 1}: expected <!-- docs: no-run (reason) -->")
    return no_run["reason"].strip()


def _check_marker(path: Path, lines: list[str], index: int) -> None:
    """Refuse a marker that is not directly followed by a fence."""
    if _MARKER.match(lines[index]) and (
        index + 1 >= len(lines) or _FENCE.match(lines[index + 1]) is None
    ):
        raise ValueError(f"{path}:{index + 1}: a docs: marker must be just above a code block")
