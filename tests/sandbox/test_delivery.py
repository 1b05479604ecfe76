"""Delivery outcomes: pending, then delivered after the delay, or what a magic address asks."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from notifiedby import Email, NotifiedByClient
from notifiedby.exceptions import (
    NotifiedByDeliveryTimeout,
    NotifiedByTimeoutError,
    NotifiedByValidationError,
)
from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api


def _status(api: Api, email_id: str) -> str:
    response = api.get(f"/v1/email/delivery/{email_id}/")
    assert response.status_code == 200
    status: str = response.json()["status"]
    return status


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[NotifiedByClient]:
    with NotifiedByClient(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0) as c:
        yield c


def test_with_no_delay_an_email_is_delivered_on_the_next_read(api: Api, sandbox: Sandbox) -> None:
    email_id = api.send()

    assert _status(api, email_id) == "delivered"
    assert sandbox.emails[0].status == "delivered"


def test_pending_until_the_delay_has_passed_on_the_sandbox_clock(
    api: Api, sandbox: Sandbox
) -> None:
    sandbox.configure(delivery_delay=60)
    email_id = api.send()

    first = _status(api, email_id)
    sandbox.advance(seconds=55)
    later = _status(api, email_id)
    sandbox.advance(seconds=5)

    assert (first, later) == ("pending", "pending")
    assert _status(api, email_id) == "delivered"
    assert sandbox.emails[0].status == "delivered"


@pytest.mark.parametrize(
    ("address", "outcome", "blocks"),
    [
        ("bounce@example.com", "bounced", True),
        ("Bounce+signup-42@example.com", "bounced", True),
        ("complaint@example.org", "complained", True),
        ("fail@example.com", "failed", False),
        ("bouncer@example.com", "delivered", False),
    ],
)
def test_magic_addresses(api: Api, address: str, outcome: str, blocks: bool) -> None:
    email_id = api.send(address)

    assert _status(api, email_id) == outcome
    again = api.post("/v1/email/send/", json={"recipient": address, "subject": "s", "body": "b"})
    assert (again.json().get("error") == "Recipient is blocked") is blocks


def test_a_bounce_blocks_only_once_it_happens(api: Api, sandbox: Sandbox) -> None:
    sandbox.configure(delivery_delay=10)
    first = api.send("bounce@example.com")
    second = api.send("bounce@example.com")

    sandbox.advance(seconds=10)
    third = api.post(
        "/v1/email/send/", json={"recipient": "bounce@example.com", "subject": "s", "body": "b"}
    )

    assert (_status(api, first), _status(api, second)) == ("bounced", "bounced")
    assert third.json()["error"] == "Recipient is blocked"
    assert _status(api, third.json()["id"]) == "failed"


def test_a_bounce_in_a_flow_blocks_its_later_emails(api: Api, sandbox: Sandbox) -> None:
    sandbox.configure(delivery_delay=2)
    sandbox.define_flow(
        "TWO",
        steps=[
            {"type": "email", "subject": "One", "body": "1"},
            {"type": "wait", "hours": 1},
            {"type": "email", "subject": "Two", "body": "2"},
        ],
    )
    api.subscribe("complaint@example.com", "TWO")

    sandbox.advance(hours=2)

    assert [(e.subject, e.status, e.blocked) for e in sandbox.emails] == [
        ("One", "complained", False),
        ("Two", "failed", True),
    ]


def test_delivery_delay_over_http(api: Api, control: Api) -> None:
    options = control.post("/_sandbox/options/", json={"delivery_delay": 30}).json()
    email_id = api.send()

    assert options["delivery_delay"] == 30
    assert _status(api, email_id) == "pending"
    assert control.get("/_sandbox/state/").json()["emails"][0]["status"] == "pending"


@pytest.mark.parametrize("delay", [-1, "soon", True, None, 1e300])
def test_bad_delivery_delay_is_refused(control: Api, delay: object) -> None:
    response = control.post("/_sandbox/options/", json={"delivery_delay": delay})

    assert response.status_code == 400
    assert "delivery_delay" in response.json()["detail"]


def test_the_constructor_delay_survives_a_reset() -> None:
    with Sandbox(delivery_delay=5) as sb:
        sb.configure(delivery_delay=1)
        sb.reset()
        assert sb.control.options["delivery_delay"] == 5
        with pytest.raises(ValueError, match="delivery_delay"):
            Sandbox(delivery_delay=-1)


def test_wait_for_delivery_returns_the_final_status(
    sandbox: Sandbox, client: NotifiedByClient
) -> None:
    sandbox.configure(delivery_delay=0.3)
    emails = Email.objects.using(client)
    delivered = emails.send(recipient="ann@example.com", subject="s", body="b")
    bounced = emails.send(recipient="bounce@example.com", subject="s", body="b")
    started = time.monotonic()

    status = delivered.wait_for_delivery(timeout=10, interval=0.05)

    assert time.monotonic() - started >= 0.2
    assert (status.id, status.status, status.delivered) == (delivered.id, "delivered", True)
    assert bounced.wait_for_delivery(timeout=10, interval=0.05).status == "bounced"


def test_wait_for_delivery_times_out(sandbox: Sandbox, client: NotifiedByClient) -> None:
    sandbox.configure(delivery_delay=3600)
    email = Email.objects.using(client).send(recipient="ann@example.com", subject="s", body="b")
    started = time.monotonic()

    with pytest.raises(NotifiedByDeliveryTimeout) as caught:
        email.wait_for_delivery(timeout=0.2, interval=0.05)

    assert 0.2 <= time.monotonic() - started < 2
    assert isinstance(caught.value, NotifiedByTimeoutError)
    assert caught.value.email_id == email.id
    assert caught.value.timeout == 0.2
    assert "still pending after 0.2 s" in str(caught.value)


@pytest.mark.parametrize(("timeout", "interval"), [(-1, 1), (1, 0), (float("nan"), 1)])
def test_wait_for_delivery_checks_its_arguments(
    sandbox: Sandbox, client: NotifiedByClient, timeout: float, interval: float
) -> None:
    email = Email.objects.using(client).send(recipient="ann@example.com", subject="s", body="b")

    with pytest.raises(NotifiedByValidationError, match="timeout must be >= 0"):
        email.wait_for_delivery(timeout=timeout, interval=interval)
