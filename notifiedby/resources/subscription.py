"""Flow subscriptions: one recipient's progress through one flow.

Endpoints: ``GET /flows/subscriptions/`` (filters ``email``, ``flow_trigger``) and
``DELETE /flows/subscriptions/?email=&flow_trigger=``. Subscribing and unsubscribing belong to
the flow (:mod:`notifiedby.resources.flow`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

import attrs

from notifiedby.exceptions import NotifiedByNotFoundError
from notifiedby.query import QuerySet
from notifiedby.resources.base import (
    BaseManager,
    FilterField,
    ManagerDescriptor,
    Resource,
    casefold_key,
    clean_choice,
    clean_email,
    clean_trigger,
    parse_datetime,
)

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient
    from notifiedby.resources.flow import Flow

__all__ = [
    "SUBSCRIPTION_STATUSES",
    "Subscription",
    "SubscriptionManager",
    "SubscriptionQuerySet",
    "SubscriptionStatus",
]

SUBSCRIPTIONS_PATH = "/flows/subscriptions/"

#: The statuses this SDK knows; a newer server's new status is kept as it is sent.
SubscriptionStatus = Literal["active", "completed", "cancelled"]
SUBSCRIPTION_STATUSES: tuple[SubscriptionStatus, ...] = ("active", "completed", "cancelled")

F = TypeVar("F", bound=Callable[..., Any])


def queryset_only(method: F) -> F:
    """Keep ``method`` off the manager, so it must be called on an explicit queryset."""
    setattr(method, "queryset_only", True)  # noqa: B010  # mypy rejects new function attributes
    return method


def delete_pair(client: NotifiedByClient, email: object, flow_trigger: object) -> None:
    """Delete every subscription of ``email`` to ``flow_trigger`` (one request; 404 if none)."""
    params = {"email": clean_email(email), "flow_trigger": clean_trigger(flow_trigger)}
    client.delete(SUBSCRIPTIONS_PATH, params=params)


class SubscriptionQuerySet(QuerySet["Subscription"]):
    """Queries over subscriptions; filter by ``email``, ``flow_trigger`` and ``status``.

    The API filters by email and trigger; ``status`` is checked here, on each subscription.
    """

    @queryset_only
    def delete(self) -> int:
        """Delete the matching subscriptions; return how many the API removed.

        The API deletes by (email, flow) pair, removing every subscription of the pair at
        once, so each pair is deleted with one request, and a subscription that a ``status``
        filter left out but that shares a pair with a match is removed (and counted) too.
        Reads the whole list first, because deleting while paging would shift the pages.
        """
        if self._is_sliced():
            raise TypeError("Cannot use a slice with delete().")
        if self._empty:
            return 0
        # List without the local-only filters, to see every record each pair holds.
        listing = self._chain()
        fields = self.model.filter_fields
        listing._filters = {k: v for k, v in self._filters.items() if fields[k].param is not None}
        sizes: dict[tuple[str, str], int] = {}
        targets: dict[tuple[str, str], Subscription] = {}
        for sub in listing.iterator():
            pair = (sub.recipient_email.casefold(), sub.flow_trigger)
            sizes[pair] = sizes.get(pair, 0) + 1
            if all(fields[name].matches(sub, value) for name, value in self._filters.items()):
                targets.setdefault(pair, sub)
        client = self._get_client()
        deleted = 0
        for pair, sub in targets.items():
            try:
                delete_pair(client, sub.recipient_email, sub.flow_trigger)
            except NotifiedByNotFoundError:
                continue  # already gone: someone else deleted it meanwhile
            deleted += sizes[pair]
        return deleted


if TYPE_CHECKING:

    class SubscriptionManager(BaseManager["Subscription"], SubscriptionQuerySet): ...

else:
    SubscriptionManager = BaseManager.from_queryset(SubscriptionQuerySet, "SubscriptionManager")


@attrs.define(kw_only=True, eq=False, repr=False)
class Subscription(Resource):
    """One recipient's subscription to one flow; identified by its integer ``id``."""

    list_path: ClassVar[str | None] = SUBSCRIPTIONS_PATH
    filter_fields: ClassVar[dict[str, FilterField]] = {
        "email": FilterField("recipient_email", "email", clean_email, casefold_key),
        "flow_trigger": FilterField("flow_trigger", "flow_trigger", clean_trigger),
        "status": FilterField("status", None, clean_choice(SUBSCRIPTION_STATUSES)),
    }
    objects = ManagerDescriptor(SubscriptionManager)

    id: int = attrs.field()
    flow_trigger: str = attrs.field(default="")
    recipient_email: str = attrs.field(default="")
    #: The flow's name as the dashboard shows it.
    flow_name: str | None = attrs.field(default=None)
    status: SubscriptionStatus = attrs.field(default="active")
    #: The step the recipient is on, counted from 1.
    current_step_order: int | None = attrs.field(default=None)
    #: When the next step is due; None once nothing is scheduled.
    next_send_date: datetime | None = attrs.field(default=None, converter=parse_datetime)
    created_at: datetime | None = attrs.field(default=None, converter=parse_datetime)
    updated_at: datetime | None = attrs.field(default=None, converter=parse_datetime)

    def __str__(self) -> str:
        return f"{self.recipient_email} in {self.flow_trigger} ({self.status})"

    def _identity(self) -> object:
        return self.id

    @property
    def flow(self) -> Flow:
        """A handle on the flow (no request)."""
        from notifiedby.resources.flow import Flow

        return Flow(trigger=self.flow_trigger, name=self.flow_name, client=self._get_client())

    def delete(self) -> None:
        """Delete this subscription (one request).

        The API deletes by recipient and flow, so every subscription of this recipient to
        this flow goes, including earlier cancelled or completed ones.
        """
        delete_pair(self._get_client(), self.recipient_email, self.flow_trigger)

    def refresh(self) -> None:
        """Reload this subscription from the API (one list request, usually).

        Raises ``Subscription.DoesNotExist`` when it is no longer listed.
        """
        fresh = (
            Subscription.objects.using(self._get_client())
            .filter(email=self.recipient_email, flow_trigger=self.flow_trigger)
            .iterator()
        )
        for sub in fresh:
            if sub.id == self.id:
                for field in attrs.fields(Subscription):
                    if field.name != "_client":
                        setattr(self, field.name, getattr(sub, field.name))
                return
        raise Subscription.DoesNotExist(f"Subscription {self.id} no longer exists.")

    def cancel(self) -> None:
        """Unsubscribe the recipient from the flow (the API cancels the active subscription
        of this recipient to this flow), then reload this subscription: two requests."""
        self.flow.unsubscribe(self.recipient_email)
        self.refresh()
