"""Signals the email backend sends around each message.

``pre_send(sender=backend class, message, backend)``: before the message is read; a receiver
may change the message, or raise :class:`CancelSend` to skip it without an error.
``post_send(sender=backend class, message, status, backend)``: after every address was tried,
before any error is raised, so it also sees failures.
``tracking(sender=TrackedEmail, event, esp_name)``: once per delivery status change the
poller reads; ``event`` has the attributes of anymail's tracking event
(:class:`notifiedby.tracking.TrackingEvent`), ``esp_name`` is ``"NotifiedBy"``.
"""

from __future__ import annotations

from django.dispatch import Signal

__all__ = ["CancelSend", "post_send", "pre_send", "tracking"]

pre_send = Signal()
post_send = Signal()
tracking = Signal()


class CancelSend(Exception):
    """Raise from a ``pre_send`` receiver to skip the message: nothing is sent, no error."""
