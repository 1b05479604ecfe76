"""When to ask about an email: 1 min, 5 min, 15 min, 1 h and 4 h after sending, then every
12 h, until its status is final or it reaches the give-up age."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

__all__ = ["REPEAT", "SCHEDULE", "first_check", "next_check"]

#: How long after sending each of the first checks is due.
SCHEDULE: Final = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
)
#: The gap between the checks after those.
REPEAT: Final = timedelta(hours=12)


def first_check(sent_at: datetime) -> datetime:
    """Return when an email sent at ``sent_at`` is first asked about."""
    return sent_at + SCHEDULE[0]


def next_check(sent_at: datetime, now: datetime, give_up: timedelta) -> datetime | None:
    """Return when to ask next about an email sent at ``sent_at``, or None to give up now.

    The next time on the schedule after ``now``: checks missed while no poller ran are not
    made one after another. The last check is made at the give-up age.
    """
    if now >= sent_at + give_up:
        return None
    age = now - sent_at
    repeated = SCHEDULE[-1] + REPEAT * ((age - SCHEDULE[-1]) // REPEAT + 1)
    offset = next((offset for offset in SCHEDULE if offset > age), repeated)
    return sent_at + min(offset, give_up)
