"""Bounces and complaints from the ``tracking`` signal put the address on the list."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from notifiedby import Flow, Subscription
from notifiedby.models import Suppression
from notifiedby.sandbox import Sandbox
from notifiedby.signals import tracking

pytestmark = pytest.mark.usefixtures("db")


def signal(event_type: str, recipient: str = "Gone@Example.com") -> None:
    """Send ``tracking`` with an event carrying anymail's attribute names."""
    event = SimpleNamespace(
        event_type=event_type,
        message_id="JDT",
        recipient=recipient,
        timestamp=timezone.now(),
        esp_event={"id": "JDT", "status": event_type},
        esp_name="NotifiedBy",
    )
    tracking.send(sender=None, event=event)


@pytest.mark.parametrize("event_type", ["bounced", "complained"])
def test_a_bounce_or_complaint_suppresses_the_address(event_type: str) -> None:
    signal(event_type)
    entry = Suppression.objects.get()
    assert (entry.address, entry.reason, entry.source) == (
        "gone@example.com",
        event_type,
        "tracking",
    )
    signal(event_type)  # a second event keeps the one entry
    assert Suppression.objects.count() == 1


def test_the_poller_s_event_class_is_read_the_same_way() -> None:
    from notifiedby.tracking import TrackingEvent

    event = TrackingEvent(
        event_type="bounced",
        message_id="JDT",
        recipient="ann@example.com",
        timestamp=timezone.now(),
        esp_event={"id": "JDT", "status": "bounced"},
    )
    tracking.send(sender=None, event=event)
    assert Suppression.objects.get().address == "ann@example.com"


@pytest.mark.parametrize("event_type", ["delivered", "failed", "unknown"])
def test_other_events_suppress_nothing(event_type: str) -> None:
    signal(event_type)
    assert not Suppression.objects.exists()


@override_settings(NOTIFIEDBY_SUPPRESS_ON_BOUNCE=False)  # type: ignore[untyped-decorator]
def test_the_setting_turns_it_off() -> None:
    signal("bounced")
    assert not Suppression.objects.exists()


def _subscribe(address: str, *triggers: str) -> None:
    for trigger in triggers:
        Flow.objects.get(trigger=trigger).subscribe(address)


def _active(address: str) -> list[str]:
    return sorted(
        s.flow_trigger for s in Subscription.objects.filter(email=address, status="active")
    )


def test_subscriptions_stay_by_default(mail_sandbox: Sandbox) -> None:
    _subscribe("gone@example.com", "WELCOME_SIGNUP")
    signal("bounced")
    assert _active("gone@example.com") == ["WELCOME_SIGNUP"]


@override_settings(NOTIFIEDBY_UNSUBSCRIBE_ON_BOUNCE=True)  # type: ignore[untyped-decorator]
def test_the_option_cancels_the_active_subscriptions(mail_sandbox: Sandbox) -> None:
    _subscribe("gone@example.com", "WELCOME_SIGNUP", "PREMIUM_ONBOARDING")
    _subscribe("ann@example.com", "WELCOME_SIGNUP")
    signal("complained", "GONE@example.com")
    assert _active("gone@example.com") == []
    statuses = {
        s.flow_trigger: s.status for s in Subscription.objects.filter(email="gone@example.com")
    }
    assert statuses == {"WELCOME_SIGNUP": "cancelled", "PREMIUM_ONBOARDING": "cancelled"}
    assert _active("ann@example.com") == ["WELCOME_SIGNUP"]
    assert Suppression.objects.is_suppressed("gone@example.com")


@override_settings(NOTIFIEDBY_UNSUBSCRIBE_ON_BOUNCE=True)  # type: ignore[untyped-decorator]
def test_an_api_failure_while_cancelling_is_logged_not_raised(caplog: Any) -> None:
    # Nothing listens on port 9 (discard) of this machine: the connection is refused.
    with override_settings(
        NOTIFIEDBY_API_KEY="key-0123456789",
        NOTIFIEDBY_BASE_URL="http://127.0.0.1:9",
        NOTIFIEDBY_MAX_RETRIES=0,
    ):
        signal("bounced")
    assert Suppression.objects.is_suppressed("gone@example.com")
    assert "Could not cancel the flow subscriptions of Gone@Example.com" in caplog.text


@pytest.mark.parametrize(
    "setting", ["NOTIFIEDBY_SUPPRESS_ON_BOUNCE", "NOTIFIEDBY_UNSUBSCRIBE_ON_BOUNCE"]
)
def test_the_check_reports_a_setting_that_is_not_a_flag(setting: str) -> None:
    from tests.django.conftest import check_messages

    [message] = [m for m in check_messages(**{setting: "sometimes"}) if m.obj == setting]
    assert message.id == "notifiedby.E002"
    assert "must be True or False, got 'sometimes'" in message.msg
