"""``manage.py notifiedby_track``: poll the delivery status of the emails sent."""

from __future__ import annotations

import signal
import threading
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notifiedby.tracking.poller import Poller


class Command(BaseCommand):
    help = (
        "Check the delivery status of sent emails that are due: --once checks what is due and "
        "exits (for cron); without it, run as a worker until SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="check what is due, then exit")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="worker: seconds between polls when idle"
        )
        parser.add_argument("--limit", type=int, help="check at most this many, then exit")
        parser.add_argument("--database", default="default", help="the database alias")

    def handle(self, *args: Any, **options: Any) -> None:
        poller = Poller(using=options["database"])
        if options["once"] or options["limit"] is not None:
            self.stdout.write(summary(poller.poll(limit=options["limit"])))
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write("Tracking poller started; SIGTERM or Ctrl-C stops it.")
        while not stop.is_set():
            outcomes = poller.poll(limit=poller.batch)
            if outcomes.total():
                self.stdout.write(summary(outcomes))
            else:
                # Idle, or paused by a 429: wait for whichever ends later.
                stop.wait(max(options["interval"], poller.limiter.paused_for()))
        self.stdout.write("Tracking poller stopped.")


def summary(outcomes: Counter[str]) -> str:
    """Return the counts of a poll as one line, such as ``3 checked: 2 delivered, 1 pending``."""
    parts = ", ".join(f"{number} {name}" for name, number in sorted(outcomes.items()))
    return f"{outcomes.total()} checked" + (f": {parts}" if parts else "")
