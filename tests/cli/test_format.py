"""The plain-text output helpers: tables, cells, and the progress line."""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from notifiedby.cli import format as cli_format
from notifiedby.cli.format import Progress, cell, print_table


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_aligns_columns_and_strips_trailing_space() -> None:
    out = io.StringIO()

    print_table(("A", "LONGER"), [("xyz", ""), ("x", "1")], out=out)

    assert out.getvalue().splitlines() == ["A    LONGER", "xyz", "x    1"]


def test_cells() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)

    assert [cell(None), cell(when), cell(["a", "b"]), cell([]), cell(True), cell("a\nb")] == [
        "-", "2026-01-02 03:04", "a,b", "-", "yes", "a b",
    ]  # fmt: skip


def test_progress_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()

    assert list(Progress("Reading", 3, stream).track([1, 2, 3])) == [1, 2, 3]
    assert stream.getvalue() == ""


def test_progress_draws_a_bar_then_erases_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_format, "REDRAW_INTERVAL", 0.0)
    stream = Terminal()

    items = list(Progress("Reading things", 2, stream).track("ab"))

    assert items == ["a", "b"]
    text = stream.getvalue()
    assert "\rReading things [########################] 2/2" in text
    assert text.endswith("\r\x1b[K")


def test_progress_without_total_counts() -> None:
    stream = Terminal()

    list(Progress("Reading", None, stream).track([1]))

    assert "Reading: 1 read" in stream.getvalue()
