"""Delivery tracking: record each email sent, poll its delivery status, signal each change.

Importing this package loads no Django model and makes no request; see docs/tracking.md.
The pieces: :mod:`.models` (the table), :mod:`.record` (called after each send),
:mod:`.poller` (asks the API on a schedule), :mod:`.events` (what the ``tracking`` signal
carries).
"""

from __future__ import annotations

from notifiedby.tracking.events import TrackingEvent

__all__ = ["TrackingEvent"]
