"""``manage.py notifiedby_suppressions``: list, add, remove, import and export the
suppression list."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifiedby.exceptions import NotifiedByInvalidArgument
from notifiedby.suppression.csvfile import SuppressionImportError, export_csv, import_csv
from notifiedby.suppression.models import MANUAL, REASONS, Suppression

_REASON_NAMES = [value for value, _ in REASONS]


class Command(BaseCommand):
    help = (
        "Manage the NotifiedBy suppression list: list, add ADDRESS..., remove ADDRESS..., "
        "import FILE.csv, export [FILE.csv] ('-' is standard input or output)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default", help="the database alias")
        actions = parser.add_subparsers(dest="action", required=True)
        listing = actions.add_parser("list", help="show the suppressed addresses")
        listing.add_argument("--reason", choices=_REASON_NAMES, help="only this reason")
        add = actions.add_parser("add", help="suppress addresses")
        add.add_argument("addresses", nargs="+", metavar="ADDRESS")
        add.add_argument("--reason", choices=_REASON_NAMES, default=MANUAL)
        add.add_argument("--source", default="command", help="who put them there")
        remove = actions.add_parser("remove", help="lift the suppression of addresses")
        remove.add_argument("addresses", nargs="+", metavar="ADDRESS")
        imports = actions.add_parser("import", help="add the addresses of a CSV file")
        imports.add_argument("file", help="the CSV file, or - for standard input")
        imports.add_argument("--source", default="import", help="for lines without one")
        exports = actions.add_parser("export", help="write the list as CSV")
        exports.add_argument("file", nargs="?", default="-", help="default: standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        table = Suppression.objects.using(options["database"])
        try:
            getattr(self, f"_{options['action']}")(table, options)
        except (NotifiedByInvalidArgument, SuppressionImportError) as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            raise CommandError(f"Can't use {options.get('file')!r}: {exc.strerror}.") from None

    def _list(self, table: Any, options: dict[str, Any]) -> None:
        entries = table.filter(reason=options["reason"]) if options["reason"] else table.all()
        for entry in entries:
            when = entry.created_at.isoformat(timespec="seconds")
            self.stdout.write(f"{entry.address}\t{entry.reason}\t{entry.source}\t{when}")

    def _add(self, table: Any, options: dict[str, Any]) -> None:
        for address in options["addresses"]:
            entry = table.suppress(address, reason=options["reason"], source=options["source"])
            self.stdout.write(f"Suppressed {entry.address} ({entry.reason}).")

    def _remove(self, table: Any, options: dict[str, Any]) -> None:
        for address in options["addresses"]:
            lifted = table.lift(address)
            self.stdout.write(f"{'Lifted' if lifted else 'Not on the list:'} {address}.")

    def _import(self, table: Any, options: dict[str, Any]) -> None:
        with _open(options["file"], "r", sys.stdin) as file:
            added, known = import_csv(file, source=options["source"], using=options["database"])
        self.stdout.write(f"{added} address(es) added, {known} already on the list.")

    def _export(self, table: Any, options: dict[str, Any]) -> None:
        with _open(options["file"], "w", self.stdout) as file:
            written = export_csv(table.order_by("address"), file)
        self.stderr.write(f"{written} address(es) exported.")


@contextmanager
def _open(name: str, mode: str, standard: IO[str]) -> Iterator[IO[str]]:
    """Give the named file, or ``standard`` (left open) for ``-``."""
    if name == "-":
        yield standard
        return
    with Path(name).open(mode, encoding="utf-8", newline="") as file:
        yield file
