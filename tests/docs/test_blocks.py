"""The block reader of the docs harness: fences, markers, and the mistakes it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.blocks import read_blocks


def page(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(text)
    return path


def test_reads_blocks_with_their_line_language_and_marker(tmp_path: Path) -> None:
    text = (
        "# Title\n"
        "```python\nx = 1\n```\n"
        "<!-- docs: no-run (a settings module) -->\n"
        "```python\nINSTALLED_APPS = []\n```\n"
        "- a list item:\n\n"
        "    ```python\n    y = x + 1\n    ```\n"
        "```console\n$ notifiedby check\n```\n"
    )

    blocks = read_blocks(page(tmp_path, text))

    assert [(b.line, b.lang, b.code, b.no_run) for b in blocks] == [
        (3, "python", "x = 1\n", None),
        (7, "python", "INSTALLED_APPS = []\n", "a settings module"),
        (12, "python", "y = x + 1\n", None),
        (15, "console", "$ notifiedby check\n", None),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "<!-- docs: no-run () -->\n```python\nx = 1\n```\n",  # no reason
        "<!-- docs: skip (why) -->\n```python\nx = 1\n```\n",  # unknown directive
        "<!-- docs: no-run (why) -->\n\n```python\nx = 1\n```\n",  # not just above
        "<!-- docs: no-run (why) -->\n```console\n$ ls\n```\n",  # not a python block
    ],
)
def test_refuses_a_marker_that_would_silently_do_nothing(tmp_path: Path, text: str) -> None:
    with pytest.raises(ValueError, match="docs: "):
        read_blocks(page(tmp_path, text))
