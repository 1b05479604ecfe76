"""The API's resources as Django-style models: Recipient, Flow, Subscription, Email."""

from __future__ import annotations

from notifiedby.resources.base import BaseManager, ManagerDescriptor, Resource
from notifiedby.resources.email import DeliveryStatus, Email, EmailManager, EmailQuerySet
from notifiedby.resources.flow import Flow, FlowManager
from notifiedby.resources.listed import ListedResource
from notifiedby.resources.recipient import (
    Recipient,
    RecipientFlags,
    RecipientManager,
    RecipientQuerySet,
)
from notifiedby.resources.subscription import (
    Subscription,
    SubscriptionManager,
    SubscriptionQuerySet,
)

__all__ = [
    "BaseManager",
    "DeliveryStatus",
    "Email",
    "EmailManager",
    "EmailQuerySet",
    "Flow",
    "FlowManager",
    "ListedResource",
    "ManagerDescriptor",
    "Recipient",
    "RecipientFlags",
    "RecipientManager",
    "RecipientQuerySet",
    "Resource",
    "Subscription",
    "SubscriptionManager",
    "SubscriptionQuerySet",
]
