"""Flows and their subscriptions.

A flow is a drip campaign made in the NotifiedBy dashboard and known to the API only by its
trigger keyword: the API has no endpoint to create, list or read one, so a :class:`Flow` is a
handle, never fetched. A :class:`Subscription` is one recipient's progress through one flow.
The two refer to each other (a flow's subscriptions, a subscription's flow), so they live in
this one module; :mod:`notifiedby.resources.subscription` gives the subscription names too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

import attrs

from notifiedby import bulk
from notifiedby._wire import flows as wire
from notifiedby._wire.base import clean_choice, clean_email, clean_flags, clean_trigger
from notifiedby.client import client_or_default
from notifiedby.exceptions import NotifiedByAPIError, NotifiedByNotFoundError
from notifiedby.query import QuerySet
from notifiedby.resources.base import (
    BaseManager,
    FilterField,
    ManagerDescriptor,
    Resource,
    casefold_key,
    parse_datetime,
)
from notifiedby.resources.listed import ListedResource

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient

__all__ = [
    "SUBSCRIPTION_STATUSES",
    "Flow",
    "FlowManager",
    "Subscription",
    "SubscriptionManager",
    "SubscriptionQuerySet",
    "SubscriptionStatus",
]

#: The statuses this SDK knows; a newer server's new status is kept as it is sent.
SubscriptionStatus = Literal["active", "completed", "cancelled"]
SUBSCRIPTION_STATUSES: tuple[SubscriptionStatus, ...] = ("active", "completed", "cancelled")

F = TypeVar("F", bound=Callable[..., Any])


def queryset_only(method: F) -> F:
    """Keep ``method`` off the manager, so it must be called on an explicit queryset."""
    setattr(method, "queryset_only", True)  # noqa: B010  # mypy rejects new function attributes
    return method


def _delete_pair(client: NotifiedByClient, email: str, flow_trigger: str) -> None:
    """Delete every subscription of ``email`` to ``flow_trigger`` (one request; 404 if none)."""
    request = wire.DeleteSubscriptionsRequest(email=email, flow_trigger=flow_trigger)
    wire.delete_subscriptions(client, request)


# --- subscriptions ----------------------------------------------------------------------------


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
        listing = self._without_local_filters()
        sizes: dict[tuple[str, str], int] = {}
        targets: dict[tuple[str, str], Subscription] = {}
        for sub in listing.iterator():
            pair = (sub.recipient_email.casefold(), sub.flow_trigger)
            sizes[pair] = sizes.get(pair, 0) + 1
            if self._matches(sub):
                targets.setdefault(pair, sub)
        client = self._get_client()
        deleted = 0
        for pair, sub in targets.items():
            try:
                _delete_pair(client, sub.recipient_email, sub.flow_trigger)
            except NotifiedByNotFoundError:
                continue  # already gone: someone else deleted it meanwhile
            deleted += sizes[pair]
        return deleted


if TYPE_CHECKING:

    class SubscriptionManager(BaseManager["Subscription"], SubscriptionQuerySet): ...

else:
    SubscriptionManager = BaseManager.from_queryset(SubscriptionQuerySet, "SubscriptionManager")


@attrs.define(kw_only=True, eq=False, repr=False)
class Subscription(ListedResource):
    """One recipient's subscription to one flow; identified by its integer ``id``."""

    list_path: ClassVar[str | None] = wire.SUBSCRIPTIONS_PATH
    filter_fields: ClassVar[dict[str, FilterField]] = {
        "email": FilterField("recipient_email", "email", clean_email, casefold_key),
        "flow_trigger": FilterField("flow_trigger", "flow_trigger", clean_trigger),
        "status": FilterField("status", None, clean_choice(SUBSCRIPTION_STATUSES)),
        # As Django users write relations: a Recipient or an address, a Flow or a trigger.
        "recipient": FilterField("recipient_email", "email", clean_email, casefold_key),
        "flow": FilterField("flow_trigger", "flow_trigger", clean_trigger),
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
        return Flow(trigger=self.flow_trigger, name=self.flow_name, client=self._get_client())

    def delete(self) -> None:
        """Delete this subscription (one request).

        The API deletes by recipient and flow, so every subscription of this recipient to
        this flow goes, including earlier cancelled or completed ones.
        """
        _delete_pair(self._get_client(), self.recipient_email, self.flow_trigger)

    def _fetch_again(self, queryset: QuerySet[Any]) -> Subscription:
        """Find this subscription among its recipient's subscriptions to its flow, read
        through ``queryset`` (one list request, usually): the API can't read one by id."""
        pair = queryset.filter(email=self.recipient_email, flow_trigger=self.flow_trigger)
        for sub in pair.iterator():
            if sub.id == self.id:
                found: Subscription = sub
                return found
        msg = f"Subscription {self.id} is not listed (deleted, or left out by the query)."
        raise Subscription.DoesNotExist(msg)

    def cancel(self) -> None:
        """Unsubscribe the recipient from the flow (the API cancels the active subscription
        of this recipient to this flow), then reload this subscription: two requests."""
        self.flow.unsubscribe(self.recipient_email)
        self.refresh()


# --- flows --------------------------------------------------------------------------------------


class FlowManager(BaseManager["Flow"]):
    """``Flow.objects``: hands out flow handles, and subscribes and unsubscribes by trigger.
    Flows can't be listed through the API."""

    def get(self, *, trigger: object) -> Flow:
        """Return a handle on the flow with this trigger keyword, without any request.

        Flows live in the NotifiedBy dashboard and the API has no endpoint to read one, so
        this checks only that ``trigger`` is a non-empty string; an unknown trigger shows up
        as a NotifiedByValidationError when you subscribe someone.
        """
        if isinstance(trigger, Flow):
            return Flow(trigger=trigger.trigger, name=trigger.name, client=self._client)
        return Flow(trigger=clean_trigger(trigger, "trigger"), client=self._client)

    def using(self, client: NotifiedByClient) -> FlowManager:
        """Return a manager whose flows talk to the API through ``client``."""
        return FlowManager(self.model, client)

    def subscribe(
        self,
        flow_trigger: object,
        email: object,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        flags: str | Iterable[str] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Subscribe ``email`` to a flow (one request); return the API's answer as it came,
        ``{"detail": ..., "subscription_id": 42}``. :meth:`Flow.subscribe` gives the
        Subscription instead.

        The API creates the recipient if it is unknown. It answers 400 for an unknown flow, a
        flow with no steps, or a recipient already active in the flow. Pass
        ``idempotency_key`` when the same subscribe may be sent again later (a queued task).
        """
        request = wire.SubscribeRequest(
            flow_trigger=flow_trigger,
            email=email,
            first_name=first_name,
            last_name=last_name,
            flags=flags,
        )
        client = client_or_default(self._client)
        return wire.subscribe(client, request, idempotency_key=idempotency_key)

    def unsubscribe(self, flow_trigger: object, email: object) -> dict[str, Any]:
        """Cancel the active subscription of ``email`` to a flow (one request); return the
        API's answer as it came, ``{"detail": ...}``."""
        request = wire.UnsubscribeRequest(flow_trigger=flow_trigger, email=email)
        return wire.unsubscribe(client_or_default(self._client), request)


@attrs.define(kw_only=True, eq=False, repr=False)
class Flow(Resource):
    """A handle on a flow, known to the API only by its trigger keyword (``WELCOME_SIGNUP``).

    Flows (steps, templates, sender) are made in the NotifiedBy dashboard; the API can't
    create, list or read them. Two handles with the same trigger are equal.
    """

    objects = ManagerDescriptor(FlowManager)

    trigger: str = attrs.field()
    #: The flow's display name, when a subscription has told us.
    name: str | None = attrs.field(default=None)

    def __str__(self) -> str:
        return self.trigger

    def _identity(self) -> object:
        return self.trigger

    @property
    def subscriptions(self) -> SubscriptionQuerySet:
        """The subscriptions to this flow: ``Subscription.objects.filter(flow_trigger=...)``
        through this flow's client (the default one looked up when a query runs if it has
        none), a lazy QuerySet."""
        return SubscriptionManager(Subscription, self._client).filter(flow_trigger=self.trigger)

    def subscribe(
        self,
        recipient: object,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        flags: str | Iterable[str] | None = None,
    ) -> Subscription:
        """Subscribe a recipient (a Recipient or an address) and return the Subscription.

        Two requests: the subscribe, whose answer holds only the new id, then one listing of
        this recipient's subscriptions to this flow to read the whole object.
        """
        client = self._get_client()
        email = clean_email(recipient, "recipient")
        answer = Flow.objects.using(client).subscribe(
            self.trigger, email, first_name=first_name, last_name=last_name, flags=flags
        )
        new_id: int | None = answer.get("subscription_id")
        found = None
        for sub in self.subscriptions.filter(email=email).iterator():
            if sub.id == new_id or (new_id is None and sub.status == "active"):
                found = sub  # the newest one wins when the id is unknown
        if found is None:
            if new_id is None:
                msg = f"Subscribed {email} to {self.trigger}, but the API reported no subscription."
                raise NotifiedByAPIError(msg, body=answer)
            # Not listed yet: build it from what the answer told us.
            found = Subscription(
                id=new_id,
                flow_trigger=self.trigger,
                recipient_email=email,
                flow_name=self.name,
                client=client,
            )
        if self.name is None:
            self.name = found.flow_name
        return found

    async def asubscribe(self, recipient: object, **kwargs: Any) -> Subscription:
        """Async version of :meth:`subscribe`."""
        return await asyncio.to_thread(self.subscribe, recipient, **kwargs)

    def bulk_subscribe(
        self,
        recipients: Iterable[object],
        *,
        flags: str | Iterable[str] | None = None,
        concurrency: int = bulk.DEFAULT_CONCURRENCY,
        progress: bulk.Progress | None = None,
        on_result: bulk.OnResult | None = None,
    ) -> bulk.BulkSummary[Any, int | None]:
        """Subscribe many recipients to this flow, ``concurrency`` requests at a time.

        Each item is an address, a Recipient (its names are sent), or a dict with ``email``
        and optionally ``first_name``, ``last_name`` and ``flags`` (else ``flags`` is sent).
        One request per item; a result's value is the new subscription id. Failures, such as
        "already subscribed", don't stop the run (see docs/bulk.md).
        """
        default_flags = None if flags is None else clean_flags(flags)
        manager = Flow.objects.using(self._get_client())

        def subscribe(item: object) -> int | None:
            fields: dict[str, Any] = {"flags": default_flags}
            if isinstance(item, Mapping):
                fields.update(item)
            else:
                fields["email"] = item
                fields["first_name"] = getattr(item, "first_name", None) or None
                fields["last_name"] = getattr(item, "last_name", None) or None
            answer = manager.subscribe(self.trigger, **fields)
            new_id: int | None = answer.get("subscription_id")
            return new_id

        return bulk.run(
            subscribe, recipients, concurrency=concurrency, progress=progress, on_result=on_result
        )

    def unsubscribe(self, recipient: object) -> None:
        """Cancel the recipient's active subscription to this flow (one request).

        The subscription stays listed, with status ``cancelled``. The API answers 400 when
        there is no active subscription.
        """
        email = clean_email(recipient, "recipient")
        Flow.objects.using(self._get_client()).unsubscribe(self.trigger, email)
