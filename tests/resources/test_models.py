"""Models without a server: wire round trips, unknown keys, datetimes, input checks."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from notifiedby import Email, Flow, Recipient, Subscription
from notifiedby.exceptions import NotifiedByInvalidArgument, NotifiedByValidationError
from notifiedby.resources.base import clean_flags, parse_datetime

SUBSCRIPTION = {
    "id": 42,
    "flow_name": "Welcome Signup Flow",
    "flow_trigger": "WELCOME_SIGNUP",
    "recipient_email": "a@b.co",
    "status": "active",
    "current_step_order": 2,
    "next_send_date": None,
    "created_at": "2026-02-17T12:00:00Z",
    "updated_at": "2026-02-17T12:00:00.123Z",
    "new_server_field": {"x": 1},
}


def test_round_trip_keeps_unknown_keys() -> None:
    sub = Subscription.from_api(SUBSCRIPTION)
    assert sub.extra == {"new_server_field": {"x": 1}}
    assert sub.created_at == datetime(2026, 2, 17, 12, tzinfo=timezone.utc)
    assert sub.to_dict() == {**SUBSCRIPTION, "updated_at": "2026-02-17T12:00:00.123000Z"}
    assert sub == Subscription(id=42)
    assert sub != Subscription(id=43)
    assert sub != Flow(trigger="WELCOME_SIGNUP")
    assert str(sub) == "a@b.co in WELCOME_SIGNUP (active)"


def test_recipient_identity_is_the_email_in_any_case() -> None:
    a = Recipient.from_api({"email": "Alice@Example.com", "first_name": None, "flags": ["x"]})
    assert a == Recipient(email="alice@example.com")
    assert len({a, Recipient(email="ALICE@example.com")}) == 1
    assert a.first_name == ""
    assert a.to_dict()["flags"] == ["x"]


def test_email_without_id_compares_by_identity() -> None:
    listed = Email.from_api(
        {"recipient": "a@b.co", "subject": "s", "created_on": "2026-01-01T00:00:00Z"}
    )
    assert listed == listed
    assert listed != Email.from_api(listed.to_dict())
    assert Email(id="JDT") == Email(id="JDT", subject="other")


def test_parse_datetime() -> None:
    assert parse_datetime(None) is None
    assert parse_datetime("2026-02-17T12:00:00.1Z") == datetime(
        2026, 2, 17, 12, 0, 0, 100000, tzinfo=timezone.utc
    )
    assert parse_datetime("2026-02-17T12:00:00").tzinfo is timezone.utc  # type: ignore[union-attr]


def test_clean_flags() -> None:
    assert clean_flags("premium") == ["premium"]
    assert clean_flags(("a", "b", "a")) == ["a", "b"]
    assert clean_flags(None) == []
    assert clean_flags(x for x in ["g"]) == ["g"]
    with pytest.raises(NotifiedByValidationError) as info:
        clean_flags(5)
    assert isinstance(info.value, NotifiedByInvalidArgument)
    assert (info.value.status_code, info.value.argument) == (None, "flags")
    assert isinstance(info.value, ValueError)
