"""The settings of delivery tracking, their defaults and converters."""

from __future__ import annotations

from typing import Any, Final

from notifiedby.conf import get_setting, to_bool, to_seconds

__all__ = [
    "CONCURRENCY",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_GIVE_UP",
    "DEFAULT_LEASE",
    "DEFAULT_RATE",
    "ENABLED",
    "GIVE_UP",
    "LEASE",
    "RATE",
    "STORE_SUBJECT",
    "enabled",
    "store_subject",
    "to_rate",
]

ENABLED: Final = "NOTIFIEDBY_TRACKING"
STORE_SUBJECT: Final = "NOTIFIEDBY_TRACKING_STORE_SUBJECT"
GIVE_UP: Final = "NOTIFIEDBY_TRACKING_GIVE_UP"
RATE: Final = "NOTIFIEDBY_TRACKING_RATE"
CONCURRENCY: Final = "NOTIFIEDBY_TRACKING_CONCURRENCY"
LEASE: Final = "NOTIFIEDBY_TRACKING_LEASE"

#: Seconds after sending when a still pending email is given up as ``unknown`` (72 h).
DEFAULT_GIVE_UP: Final[float] = 72 * 3600.0
#: Delivery status requests per second, at most, from one poller process.
DEFAULT_RATE: Final[float] = 100.0
#: Status requests in flight at once in one poller.
DEFAULT_CONCURRENCY: Final[int] = 8
#: Seconds a claimed row stays hidden from other pollers: longer than the client's deadline
#: (165 s by default), as for the outbox.
DEFAULT_LEASE: Final[float] = 300.0


def to_rate(value: Any) -> float:
    """Return a rate: a positive, finite number of requests per second."""
    try:
        return to_seconds(value)
    except ValueError:
        raise ValueError(
            f"must be a positive number of requests per second, got {value!r}"
        ) from None


def enabled() -> bool:
    """Return whether sends are recorded (``NOTIFIEDBY_TRACKING``, default True)."""
    return _flag(ENABLED, True)


def store_subject() -> bool:
    """Return whether the subject is stored (``NOTIFIEDBY_TRACKING_STORE_SUBJECT``, default
    False: a subject can be personal data)."""
    return _flag(STORE_SUBJECT, False)


def _flag(name: str, default: bool) -> bool:
    return get_setting(name, default=default, convert=to_bool)
