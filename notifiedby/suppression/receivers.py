"""The ``tracking`` signal's receiver: bounced and complained addresses go on the list.

Connected when the ``notifiedby`` app is ready. ``NOTIFIEDBY_SUPPRESS_ON_BOUNCE`` (default
True) turns it off; ``NOTIFIEDBY_UNSUBSCRIBE_ON_BOUNCE`` (default False) also cancels the
address's active flow subscriptions.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from notifiedby.conf import get_setting, to_bool
from notifiedby.exceptions import NotifiedByError
from notifiedby.resources import Flow, Subscription

__all__ = ["SUPPRESS_ON_BOUNCE", "UNSUBSCRIBE_ON_BOUNCE", "cancel_subscriptions", "on_tracking"]

logger = logging.getLogger("notifiedby.suppression")

SUPPRESS_ON_BOUNCE: Final = "NOTIFIEDBY_SUPPRESS_ON_BOUNCE"
DEFAULT_SUPPRESS_ON_BOUNCE: Final[bool] = True
UNSUBSCRIBE_ON_BOUNCE: Final = "NOTIFIEDBY_UNSUBSCRIBE_ON_BOUNCE"
DEFAULT_UNSUBSCRIBE_ON_BOUNCE: Final[bool] = False
#: The tracking events that put their recipient on the list (also the entry's reason).
SUPPRESSING_EVENTS: Final = frozenset({"bounced", "complained"})


def on_tracking(sender: Any, event: Any, **kwargs: Any) -> None:
    """Suppress the recipient of a bounce or complaint, and cancel its flows if configured."""
    if event.event_type not in SUPPRESSING_EVENTS:
        return
    if not get_setting(SUPPRESS_ON_BOUNCE, default=DEFAULT_SUPPRESS_ON_BOUNCE, convert=to_bool):
        return
    from notifiedby.suppression.models import Suppression

    Suppression.objects.suppress(event.recipient, reason=event.event_type, source="tracking")
    if get_setting(UNSUBSCRIBE_ON_BOUNCE, default=DEFAULT_UNSUBSCRIBE_ON_BOUNCE, convert=to_bool):
        cancel_subscriptions(event.recipient)


def cancel_subscriptions(address: str) -> int:
    """Cancel every active flow subscription of ``address``; return how many were cancelled.

    An API failure is logged, not raised: the address is already suppressed, and a receiver's
    error would stop the poller that sent the signal.
    """
    cancelled = 0
    try:
        for subscription in Subscription.objects.filter(email=address, status="active"):
            Flow.objects.unsubscribe(subscription.flow_trigger, address)
            cancelled += 1
    except NotifiedByError as exc:
        logger.warning("Could not cancel the flow subscriptions of %s: %s", address, exc)
    return cancelled
