"""The flow endpoints: ``POST /flows/subscribe/``, ``POST /flows/unsubscribe/``, and
``GET`` / ``DELETE /flows/subscriptions/``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from notifiedby._wire.base import (
    clean_email,
    clean_trigger,
    json_body,
    json_object,
    optional_flags,
)

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient

__all__ = [
    "SUBSCRIPTIONS_PATH",
    "DeleteSubscriptionsRequest",
    "SubscribeRequest",
    "UnsubscribeRequest",
    "delete_subscriptions",
    "subscribe",
    "unsubscribe",
]

SUBSCRIBE_PATH = "/flows/subscribe/"
UNSUBSCRIBE_PATH = "/flows/unsubscribe/"
#: Lists subscriptions (GET, filters ``email`` and ``flow_trigger``) and deletes them (DELETE).
SUBSCRIPTIONS_PATH = "/flows/subscriptions/"


@attrs.frozen(kw_only=True)
class SubscribeRequest:
    """Subscribe ``email`` to the flow ``flow_trigger``; the API creates unknown recipients."""

    flow_trigger: str = attrs.field(converter=clean_trigger)
    email: str = attrs.field(converter=clean_email)
    first_name: str | None = None
    last_name: str | None = None
    flags: tuple[str, ...] | None = attrs.field(default=None, converter=optional_flags)


@attrs.frozen(kw_only=True)
class UnsubscribeRequest:
    """Cancel the active subscription of ``email`` to the flow ``flow_trigger``."""

    flow_trigger: str = attrs.field(converter=clean_trigger)
    email: str = attrs.field(converter=clean_email)


@attrs.frozen(kw_only=True)
class DeleteSubscriptionsRequest:
    """Delete every subscription of ``email`` to the flow ``flow_trigger``."""

    email: str = attrs.field(converter=clean_email)
    flow_trigger: str = attrs.field(converter=clean_trigger)


def subscribe(
    client: NotifiedByClient, request: SubscribeRequest, *, idempotency_key: str | None = None
) -> dict[str, Any]:
    """Subscribe; return the API's answer (``detail``, ``subscription_id``)."""
    answer = client.post(SUBSCRIBE_PATH, json=json_body(request), idempotency_key=idempotency_key)
    return json_object(answer, "a subscribe")


def unsubscribe(client: NotifiedByClient, request: UnsubscribeRequest) -> dict[str, Any]:
    """Cancel the subscription (it stays listed, ``cancelled``); return the API's answer."""
    answer = client.post(UNSUBSCRIBE_PATH, json=json_body(request))
    return json_object(answer, "an unsubscribe")


def delete_subscriptions(client: NotifiedByClient, request: DeleteSubscriptionsRequest) -> None:
    """Delete every subscription of the pair (the API answers 404 when there is none)."""
    client.delete(SUBSCRIPTIONS_PATH, params=json_body(request))
