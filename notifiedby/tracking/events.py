"""What the ``tracking`` signal carries: an event shaped like anymail's tracking event."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import attrs

__all__ = ["ESP_NAME", "EVENT_TYPES", "FINAL_STATUSES", "TrackingEvent", "event_type_for"]

#: ``esp_name`` of every event, as anymail names the provider.
ESP_NAME: Final = "NotifiedBy"
#: The API's delivery statuses, in anymail's event vocabulary (the same words today).
EVENT_TYPES: Final[dict[str, str]] = {
    "pending": "queued",
    "delivered": "delivered",
    "bounced": "bounced",
    "complained": "complained",
    "failed": "failed",
}
#: Statuses after which an email is not asked about again.
FINAL_STATUSES: Final = frozenset({"delivered", "bounced", "complained", "failed"})


def event_type_for(status: str) -> str:
    """Return anymail's event type for a stored status; ``unknown`` for anything else."""
    return EVENT_TYPES.get(status, "unknown")


@attrs.frozen(kw_only=True)
class TrackingEvent:
    """One delivery status change, with the attribute names of anymail's
    ``AnymailTrackingEvent``, so receivers written for anymail read it unchanged.

    The attributes the API has nothing for (clicks, opens, tags) keep anymail's defaults.
    """

    #: ``delivered``, ``bounced``, ``complained``, ``failed`` or ``unknown``.
    event_type: str
    #: The id the API gave the email.
    message_id: str
    recipient: str
    #: When the poller saw the change (aware).
    timestamp: datetime
    #: The API's answer (``id``, ``status``, ``ses_id``); for a 404 or a give-up, ``error``.
    esp_event: dict[str, Any]
    #: Why the status is ``unknown``, else None.
    description: str | None = None
    esp_name: str = ESP_NAME
    event_id: str | None = None
    click_url: str | None = None
    metadata: dict[str, Any] = attrs.field(factory=dict)
    mta_response: str | None = None
    reject_reason: str | None = None
    tags: list[str] = attrs.field(factory=list)
    user_agent: str | None = None
