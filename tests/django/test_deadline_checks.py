"""The system checks of the deadline and size cap settings, and of the outbox lease against
the deadline (notifiedby.W002)."""

from __future__ import annotations

import pytest

from notifiedby.outbox import generate_key
from tests.django.conftest import BACKEND, mail_settings
from tests.django.conftest import check_messages as messages

OUTBOX = "notifiedby.backends.OutboxEmailBackend"


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        ("NOTIFIEDBY_DEADLINE", "soon", "must be a positive number of seconds"),
        ("NOTIFIEDBY_DEADLINE", 0, "must be a positive number of seconds"),
        ("NOTIFIEDBY_MAX_RESPONSE_BYTES", 0, "must be a whole number of bytes above 0"),
        ("NOTIFIEDBY_MAX_RESPONSE_BYTES", "50MB", "must be a whole number of bytes above 0"),
    ],
)
def test_invalid_deadline_and_size_settings_are_errors(
    setting: str, value: object, problem: str
) -> None:
    [error] = messages(**{setting: value})

    assert (error.id, error.obj) == ("notifiedby.E002", setting)
    assert error.msg.startswith(f"The Django setting {setting} {problem}")


def test_valid_values_pass() -> None:
    assert messages(NOTIFIEDBY_DEADLINE=20, NOTIFIEDBY_MAX_RESPONSE_BYTES="1048576") == []


def test_backend_options_are_checked() -> None:
    options = {"deadline": -5, "max_response_bytes": 1.5}
    found = messages(MAILERS={"tenant": {"BACKEND": BACKEND, "OPTIONS": options}})

    assert [m.msg.split(" must ")[0] for m in found] == [
        "MAILERS['tenant'] OPTIONS['deadline']",
        "MAILERS['tenant'] OPTIONS['max_response_bytes']",
    ]


def outbox_settings(**settings: object) -> dict[str, object]:
    return {**mail_settings(OUTBOX), "NOTIFIEDBY_OUTBOX_KEYS": [generate_key()], **settings}


def test_the_default_lease_outlasts_the_default_deadline() -> None:
    assert messages(**outbox_settings()) == []


@pytest.mark.parametrize(
    ("settings", "deadline"),
    [
        ({"NOTIFIEDBY_OUTBOX_LEASE": 120}, "165"),
        ({"NOTIFIEDBY_TIMEOUT": (10, 120)}, "450"),
        ({"NOTIFIEDBY_DEADLINE": 300}, "300"),
    ],
)
def test_a_lease_not_longer_than_the_deadline_warns(
    settings: dict[str, object], deadline: str
) -> None:
    [warning] = messages(**outbox_settings(**settings))

    assert (warning.id, warning.obj) == ("notifiedby.W002", "NOTIFIEDBY_OUTBOX_LEASE")
    assert f"the client's deadline of {deadline} s" in warning.msg
    assert "NOTIFIEDBY_DEADLINE" in (warning.hint or "")


def test_a_short_deadline_allows_a_short_lease() -> None:
    assert messages(**outbox_settings(NOTIFIEDBY_OUTBOX_LEASE=60, NOTIFIEDBY_DEADLINE=30)) == []


def test_the_lease_is_not_compared_without_the_outbox_backend() -> None:
    assert messages(**mail_settings(BACKEND), NOTIFIEDBY_OUTBOX_LEASE=1) == []
