"""``manage.py notifiedby_sync_recipients``: push the site's users to NotifiedBy as recipients.

Users are read in primary-key order and upserted with ``Recipient.objects.bulk_upsert``.
After every batch the last primary key whose result is in goes to a checkpoint file, so
``--resume`` picks up after an interruption. What a user becomes is the setting
``NOTIFIEDBY_SYNC_RECIPIENT``: the dotted path of a function from a user to a dict with
``email`` and optionally ``first_name``, ``last_name`` and ``flags``, or None to skip the user.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from notifiedby import bulk
from notifiedby.resources.recipient import Recipient

__all__ = ["Command", "default_recipient"]

DEFAULT_CHECKPOINT = "notifiedby_sync_recipients.checkpoint"
#: Results between two checkpoint writes.
CHECKPOINT_EVERY = 100
#: Failures listed at the end; the rest are only counted.
FAILURES_SHOWN = 20
BAR_WIDTH = 30


def default_recipient(user: Any) -> dict[str, Any] | None:
    """Map a user to a recipient: its email field and names; None when it has no address."""
    email = getattr(user, user.get_email_field_name(), "")
    if not email:
        return None
    return {
        "email": email,
        "first_name": getattr(user, "first_name", None),
        "last_name": getattr(user, "last_name", None),
    }


class Command(BaseCommand):
    help = "Create or update a NotifiedBy recipient for each active user, concurrently."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--concurrency", type=int, default=bulk.DEFAULT_CONCURRENCY, help="parallel requests"
        )
        parser.add_argument(
            "--checkpoint",
            default=DEFAULT_CHECKPOINT,
            metavar="FILE",
            help=f"where progress is saved (default {DEFAULT_CHECKPOINT})",
        )
        parser.add_argument(
            "--resume", action="store_true", help="start after the last user in the checkpoint"
        )
        parser.add_argument("--no-progress", action="store_true", help="print only the summary")

    def get_queryset(self) -> Any:
        """Return the users to sync: the active ones. Override in a subclass to choose others."""
        users = get_user_model()._default_manager.all()
        if any(field.name == "is_active" for field in users.model._meta.get_fields()):
            users = users.filter(is_active=True)
        return users

    def get_mapper(self) -> Callable[[Any], dict[str, Any] | None]:
        path = getattr(settings, "NOTIFIEDBY_SYNC_RECIPIENT", None)
        if path is None:
            return default_recipient
        try:
            mapper: Callable[[Any], dict[str, Any] | None] = import_string(path)
        except ImportError as exc:
            raise CommandError(f"NOTIFIEDBY_SYNC_RECIPIENT: cannot import {path!r}: {exc}") from exc
        return mapper

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = Path(options["checkpoint"])
        users = self.get_queryset().order_by("pk")
        if options["resume"]:
            last_pk = _read_checkpoint(checkpoint)
            if last_pk is None:
                self.stdout.write(f"No checkpoint in {checkpoint}: starting from the first user.")
            else:
                self.stdout.write(f"Resuming after the user with primary key {last_pk}.")
                users = users.filter(pk__gt=last_pk)
        total = users.count()
        mapper = self.get_mapper()
        # The worker threads only call the API; reading users and mapping them stays in this
        # thread, with Django's database connection. Results come back in input order, so
        # the pks of the items in flight can wait in a queue.
        in_flight: deque[Any] = deque()
        skipped = 0

        def recipients() -> Iterator[dict[str, Any]]:
            nonlocal skipped
            for user in users.iterator(chunk_size=500):
                data = mapper(user)
                if data is None:
                    skipped += 1
                    continue
                in_flight.append(user.pk)
                yield data

        progress = None if options["no_progress"] else _ProgressBar(self, total)
        last_done: Any = None

        def on_result(result: bulk.BulkResult[Any, Any]) -> None:
            nonlocal last_done
            last_done = in_flight.popleft()
            if result.index % CHECKPOINT_EVERY == CHECKPOINT_EVERY - 1:
                _save_checkpoint(checkpoint, last_done)

        summary = Recipient.objects.bulk_upsert(
            recipients(),
            concurrency=options["concurrency"],
            progress=progress,
            on_result=on_result,
        )
        if last_done is not None:
            _save_checkpoint(checkpoint, last_done)
        if progress is not None:
            progress.finish(summary, skipped)
        self._report(summary, skipped, checkpoint)

    def _report(self, summary: bulk.BulkSummary[Any, Any], skipped: int, checkpoint: Path) -> None:
        self.stdout.write(
            f"Synced {summary.ok} recipients, {summary.failed} failed, {skipped} users skipped "
            f"(no address) in {summary.elapsed:.1f} s."
        )
        for failure in summary.failures[:FAILURES_SHOWN]:
            email = failure.item.get("email") if isinstance(failure.item, dict) else failure.item
            self.stderr.write(f"  {email}: {failure.error}")
        if summary.failed > FAILURES_SHOWN:
            self.stderr.write(f"  ... and {summary.failed - FAILURES_SHOWN} more.")
        if summary.failed:
            # Not a hint to --resume: it starts after the last user tried, failed ones too.
            raise CommandError(
                f"{summary.failed} recipients failed; fix them and run again (upserts are safe "
                "to repeat)."
            )
        checkpoint.unlink(missing_ok=True)  # finished: nothing left to resume


class _ProgressBar:
    """A text progress bar on stdout, redrawn at most five times a second."""

    def __init__(self, command: BaseCommand, total: int) -> None:
        self.command = command
        self.total = total
        self.tty = command.stdout.isatty()
        self.shown = 0.0

    def __call__(self, summary: bulk.BulkSummary[Any, Any]) -> None:
        now = time.monotonic()
        if now - self.shown < (0.2 if self.tty else 5.0):
            return
        self.shown = now
        self._draw(summary, ending="\r" if self.tty else "\n")

    def finish(self, summary: bulk.BulkSummary[Any, Any], skipped: int) -> None:
        self._draw(summary, ending="\n", skipped=skipped)

    def _draw(self, summary: bulk.BulkSummary[Any, Any], ending: str, skipped: int = 0) -> None:
        done = summary.total + skipped
        share = done / self.total if self.total else 1.0
        filled = round(BAR_WIDTH * min(share, 1.0))
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        rate = summary.total / summary.elapsed if summary.elapsed else 0.0
        line = f"[{bar}] {done}/{self.total} {share:4.0%}  {summary.failed} failed  {rate:.0f}/s"
        self.command.stdout.write(line, ending=ending)
        self.command.stdout.flush()


def _read_checkpoint(path: Path) -> Any:
    try:
        return json.loads(path.read_text())["last_pk"]
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as exc:
        raise CommandError(f"The checkpoint {path} is not one this command wrote: {exc}") from exc


def _save_checkpoint(path: Path, pk: Any) -> None:
    # Write then rename, so an interruption never leaves half a file.
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps({"last_pk": pk}, default=str))  # a UUID pk as text
    partial.replace(path)
