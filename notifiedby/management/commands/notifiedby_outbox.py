"""``manage.py notifiedby_outbox``: drain the email outbox, show it, retry or purge it."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifiedby.management.commands.notifiedby_track import summary
from notifiedby.outbox import counts, deliver, generate_key, purge, retry_failed, rotate_keys
from notifiedby.tracking.poller import Poller


class Command(BaseCommand):
    help = (
        "Deliver the NotifiedBy outbox: --once drains what is due and exits; without it, run "
        "as a worker until stopped. Also --status, --retry-failed, --purge, --rotate-keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="drain what is due, then exit")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="worker: seconds between polls when idle"
        )
        parser.add_argument("--limit", type=int, help="send at most this many, then exit")
        parser.add_argument("--status", action="store_true", help="show the count per state")
        parser.add_argument(
            "--retry-failed", action="store_true", help="make failed messages pending again"
        )
        parser.add_argument(
            "--purge", choices=["sent", "failed"], help="delete the messages in this state"
        )
        parser.add_argument(
            "--older-than-days", type=float, default=0.0, help="with --purge: only older ones"
        )
        parser.add_argument(
            "--rotate-keys", action="store_true", help="re-encrypt every message with the first key"
        )
        parser.add_argument(
            "--generate-key", action="store_true", help="print a new NOTIFIEDBY_OUTBOX_KEYS key"
        )
        parser.add_argument(
            "--track", action="store_true", help="worker: also poll delivery statuses when idle"
        )
        parser.add_argument("--database", default="default", help="the database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if options["generate_key"]:
            self.stdout.write(generate_key())
            return
        maintenance = False
        if options["retry_failed"]:
            self.stdout.write(f"{retry_failed(using=using)} failed message(s) made pending.")
            maintenance = True
        if options["purge"]:
            age = timedelta(days=options["older_than_days"])
            deleted = purge(options["purge"], older_than=age, using=using)
            self.stdout.write(f"{deleted} {options['purge']} message(s) deleted.")
            maintenance = True
        if options["rotate_keys"]:
            self.stdout.write(f"{rotate_keys(using=using)} message(s) re-encrypted.")
            maintenance = True
        if options["status"] or (maintenance and not options["once"]):
            self._show_counts(using)
            return
        if options["once"] or options["limit"] is not None:
            outcomes = deliver(limit=options["limit"], using=using)
            self.stdout.write(_summary(outcomes))
            return
        self._work(using, options["interval"], track=options["track"])

    def _show_counts(self, using: str) -> None:
        for state, number in counts(using=using).items():
            self.stdout.write(f"{state:<8} {number}")

    def _work(self, using: str, interval: float, *, track: bool) -> None:
        """Deliver until SIGTERM or SIGINT, finishing the message in hand first; with
        ``track``, check due delivery statuses whenever nothing is left to send."""
        poller = Poller(using=using) if track else None
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write("Outbox worker started; SIGTERM or Ctrl-C stops it.")
        while not stop.is_set():
            outcomes = deliver(limit=100, using=using)
            if outcomes.total():
                self.stdout.write(_summary(outcomes))
                continue
            checked = poller.poll(limit=poller.batch) if poller is not None else Counter[str]()
            if checked.total():
                self.stdout.write(summary(checked))
            else:
                stop.wait(interval)
        self.stdout.write("Outbox worker stopped.")


def _summary(outcomes: Any) -> str:
    # "expired" is rare (an outcome that came after its lease), so it is shown only when seen.
    names = ["sent", "deferred", "failed", *(["expired"] if outcomes["expired"] else [])]
    return ", ".join(f"{outcomes[name]} {name}" for name in names)
