"""Flows: drip campaigns made in the NotifiedBy dashboard, known to the API by trigger.

Endpoints: ``POST /flows/subscribe/`` and ``POST /flows/unsubscribe/``. The API has no
endpoint to create, list or read a flow, so a :class:`Flow` is a handle, never fetched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from notifiedby import bulk
from notifiedby.exceptions import NotifiedByAPIError
from notifiedby.resources.base import (
    BaseManager,
    ManagerDescriptor,
    Resource,
    clean_email,
    clean_flags,
    clean_trigger,
    json_object,
)
from notifiedby.resources.subscription import Subscription, SubscriptionQuerySet

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient

__all__ = ["Flow", "FlowManager", "subscribe_to", "unsubscribe_from"]

SUBSCRIBE_PATH = "/flows/subscribe/"
UNSUBSCRIBE_PATH = "/flows/unsubscribe/"


def subscribe_to(
    client: NotifiedByClient,
    flow_trigger: object,
    email: object,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    flags: object = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Subscribe ``email`` to a flow; return the API's answer (``detail``, ``subscription_id``).

    The API creates the recipient if it is unknown. It answers 400 for an unknown flow, a
    flow with no steps, or a recipient already active in the flow. Pass ``idempotency_key``
    when the same subscribe may be sent again later (a queued task).
    """
    payload: dict[str, Any] = {
        "flow_trigger": clean_trigger(flow_trigger),
        "email": clean_email(email),
    }
    if first_name is not None:
        payload["first_name"] = first_name
    if last_name is not None:
        payload["last_name"] = last_name
    if flags is not None:
        payload["flags"] = clean_flags(flags)
    answer = client.post(SUBSCRIBE_PATH, json=payload, idempotency_key=idempotency_key)
    return json_object(answer, "a subscribe")


def unsubscribe_from(
    client: NotifiedByClient, flow_trigger: object, email: object
) -> dict[str, Any]:
    """Cancel the active subscription of ``email`` to a flow; return the API's answer."""
    payload = {"flow_trigger": clean_trigger(flow_trigger), "email": clean_email(email)}
    return json_object(client.post(UNSUBSCRIBE_PATH, json=payload), "an unsubscribe")


class FlowManager(BaseManager["Flow"]):
    """``Flow.objects``: hands out flow handles. Flows can't be listed through the API."""

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
        """The subscriptions to this flow (a lazy QuerySet)."""
        return Subscription.objects.using(self._get_client()).filter(flow_trigger=self.trigger)

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
        answer = subscribe_to(
            client, self.trigger, email, first_name=first_name, last_name=last_name, flags=flags
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
        client = self._get_client()

        def subscribe(item: object) -> int | None:
            fields: dict[str, Any] = {"flags": default_flags}
            if isinstance(item, Mapping):
                fields.update(item)
            else:
                fields["email"] = item
                fields["first_name"] = getattr(item, "first_name", None) or None
                fields["last_name"] = getattr(item, "last_name", None) or None
            answer = subscribe_to(client, self.trigger, **fields)
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
        unsubscribe_from(self._get_client(), self.trigger, clean_email(recipient, "recipient"))
