"""Flow subscriptions: one recipient's progress through one flow.

They are defined with the flows, in :mod:`notifiedby.resources.flow`, because a flow and its
subscriptions refer to each other; this module gives the same names.
"""

from __future__ import annotations

from notifiedby.resources.flow import (
    SUBSCRIPTION_STATUSES,
    Subscription,
    SubscriptionManager,
    SubscriptionQuerySet,
    SubscriptionStatus,
)

__all__ = [
    "SUBSCRIPTION_STATUSES",
    "Subscription",
    "SubscriptionManager",
    "SubscriptionQuerySet",
    "SubscriptionStatus",
]
