"""How the command line shows results: aligned tables and records for people, JSON for
scripts, and a progress line for long listings. Plain text only, no dependency."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from typing import Any, TextIO, TypeVar

__all__ = [
    "Progress",
    "cell",
    "one_line",
    "print_json",
    "print_record",
    "print_table",
    "timestamp",
]

T = TypeVar("T")

#: Seconds between two redraws of the progress line, so a fast listing is not slowed by it.
REDRAW_INTERVAL = 0.1
#: Characters of the progress bar.
BAR_WIDTH = 24


def one_line(text: str) -> str:
    """Return ``text`` with its line breaks folded, for a one-line message."""
    return " ".join(text.split())


def cell(value: object) -> str:
    """Return a value as a table cell: dates to the minute in UTC, lists comma-joined."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple)):
        return ",".join(cell(item) for item in value) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return one_line(str(value))


def timestamp(value: datetime | None) -> str:
    """Return a time as people read it, to the minute in UTC: ``2026-12-01 17:20 UTC``."""
    return "-" if value is None else f"{cell(value)} UTC"


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], out: TextIO | None = None
) -> None:
    """Print ``rows`` under ``headers``, each column as wide as its widest cell."""
    out = out or sys.stdout
    lines = [list(headers), *([cell(value) for value in row] for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    for line in lines:
        padded = [text.ljust(width) for text, width in zip(line, widths, strict=True)]
        print("  ".join(padded).rstrip(), file=out)


def print_record(fields: Sequence[tuple[str, object]], out: TextIO | None = None) -> None:
    """Print one object as ``name: value`` lines with the values aligned."""
    out = out or sys.stdout
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        print(f"{name + ':':<{width + 1}} {cell(value)}", file=out)


def print_json(data: Any, out: TextIO | None = None) -> None:
    """Print ``data`` as indented JSON (dates as ISO-8601 strings)."""
    out = out or sys.stdout
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str), file=out)


class Progress:
    """A progress line on stderr while a listing is read, drawn only when stderr is a
    terminal, so pipes, logs and scripts see nothing of it.

    ``total`` draws a bar; without it the line counts what was read.
    """

    def __init__(self, what: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.what = what
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.done = 0
        self._drawn_at = 0.0

    def track(self, items: Iterable[T]) -> Iterator[T]:
        """Yield ``items``, advancing the line for each; erase it when they run out."""
        try:
            for item in items:
                self.done += 1
                self._draw()
                yield item
        finally:
            self._erase()

    def _draw(self) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._drawn_at < REDRAW_INTERVAL:
            return
        self._drawn_at = now
        if self.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * self.done // self.total)
            bar = "#" * filled + "." * (BAR_WIDTH - filled)
            text = f"{self.what} [{bar}] {self.done}/{self.total}"
        else:
            text = f"{self.what}: {self.done} read"
        self.stream.write("\r" + text)
        self.stream.flush()

    def _erase(self) -> None:
        if self.enabled and self._drawn_at:
            # Carriage return, then "erase to end of line": the table starts on a clean line.
            self.stream.write("\r\x1b[K")
            self.stream.flush()
