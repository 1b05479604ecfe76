"""The suppression list as CSV: columns ``address,reason,source,created_at``.

An import checks every line first and writes nothing if one is bad; the error names each
bad line and how to fix it. Only ``address`` is required: an empty reason is ``manual``, an
empty date is now, an empty source is the importer's.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import IO, Final

from django.db import transaction
from django.utils import dateparse, timezone

from notifiedby.exceptions import NotifiedByError, NotifiedByInvalidArgument
from notifiedby.suppression.models import (
    MANUAL,
    REASONS,
    SOURCE_LENGTH,
    Suppression,
    normalise_address,
)

__all__ = ["COLUMNS", "SuppressionImportError", "export_csv", "import_csv"]

COLUMNS: Final = ("address", "reason", "source", "created_at")
#: Bad lines listed in one error; a file of nothing but bad lines needs no longer list.
MAX_PROBLEMS_SHOWN: Final = 20
_REASON_NAMES: Final = tuple(value for value, _ in REASONS)


class SuppressionImportError(NotifiedByError, ValueError):
    """A CSV file could not be imported; ``problems`` has one sentence per bad line."""

    def __init__(self, problems: list[str]) -> None:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        text = "\n".join(shown + ([f"... and {more} more."] if more else []))
        super().__init__(f"Nothing was imported:\n{text}")
        self.problems = problems


def import_csv(file: IO[str], *, source: str = "import", using: str = "default") -> tuple[int, int]:
    """Add the file's addresses to the list; return (added, already listed)."""
    entries = _read(file, source)
    with transaction.atomic(using=using):
        table = Suppression.objects.using(using)
        before = table.count()
        table.bulk_create(entries, batch_size=500, ignore_conflicts=True)
        added = table.count() - before
    return added, len(entries) - added


def export_csv(entries: Iterable[Suppression], file: IO[str]) -> int:
    """Write ``entries`` with a header line; return how many were written."""
    writer = csv.writer(file)
    writer.writerow(COLUMNS)
    written = 0
    for entry in entries:
        writer.writerow([entry.address, entry.reason, entry.source, entry.created_at.isoformat()])
        written += 1
    return written


def _read(file: IO[str], source: str) -> list[Suppression]:
    """Return one unsaved entry per distinct address; raise listing every bad line."""
    reader = csv.DictReader(file)
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in COLUMNS]
    if "address" not in header or unknown:
        found = ", ".join(header) or "nothing"
        raise SuppressionImportError(
            [
                f"line 1: the header has {found}; it must be a subset of "
                f"{','.join(COLUMNS)} with at least address."
            ]
        )
    entries: dict[str, Suppression] = {}
    problems: list[str] = []
    for row in reader:
        where = f"line {reader.line_num}"
        try:
            entry = _entry(row, source)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        entries.setdefault(entry.address, entry)
    if problems:
        raise SuppressionImportError(problems)
    return list(entries.values())


def _entry(row: dict[str, str | None], source: str) -> Suppression:
    raw = (row.get("address") or "").strip()
    try:
        address = normalise_address(raw)
    except NotifiedByInvalidArgument:
        msg = f"{raw!r} is not an email address: correct it, or delete the line."
        raise ValueError(msg) from None
    reason = (row.get("reason") or "").strip() or MANUAL
    if reason not in _REASON_NAMES:
        msg = (
            f"the reason {reason!r} is not one of {', '.join(_REASON_NAMES)}: use one of "
            "them, or leave it empty for manual."
        )
        raise ValueError(msg)
    return Suppression(
        address=address,
        reason=reason,
        source=(row.get("source") or "").strip()[:SOURCE_LENGTH] or source,
        created_at=_when((row.get("created_at") or "").strip()),
    )


def _when(text: str) -> datetime:
    when: datetime | None
    if not text:
        when = timezone.now()
        return when
    try:
        when = dateparse.parse_datetime(text)
    except ValueError:
        when = None
    if when is None:
        msg = (
            f"created_at {text!r} is not a date and time: write it as "
            "2026-01-31T09:30:00+00:00, or leave it empty for now."
        )
        raise ValueError(msg)
    if timezone.is_naive(when):  # a bare date and time from a spreadsheet: read as UTC
        when = timezone.make_aware(when, dt_timezone.utc)
    return when
