"""Delivery tracking on SQLite, end to end on the sandbox: record, poll, signal."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from notifiedby import Email, NotifiedByClient, signals
from notifiedby.exceptions import NotifiedByRecipientsRefused
from notifiedby.outbox import deliver, enqueue, generate_key
from notifiedby.resources.email import EmailPayload
from notifiedby.sandbox import Sandbox
from notifiedby.tracking.models import TrackedEmail
from notifiedby.tracking.poller import Poller, RateLimit, SharedBudget, _Paused
from notifiedby.tracking.schedule import next_check
from tests.django.conftest import check_messages

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture(autouse=True)
def _no_shared_pause() -> Iterator[None]:
    """Pollers share their rate budget and a 429's pause through Django's cache: start and
    end each test without either."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@attrs.define
class Clock:
    """A clock the test moves by hand."""

    now: datetime = attrs.field(factory=timezone.now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    # A little ahead of the wall clock that stamps the sends the test makes after this.
    return Clock(timezone.now() + timedelta(seconds=5))


@pytest.fixture
def events() -> Iterator[list[tuple[Any, str]]]:
    """The (event, esp_name) pairs the ``tracking`` signal sends during the test."""
    seen: list[tuple[Any, str]] = []

    def receiver(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
        seen.append((event, esp_name))

    signals.tracking.connect(receiver, weak=False, dispatch_uid="test-tracking")
    yield seen
    signals.tracking.disconnect(dispatch_uid="test-tracking")


@pytest.fixture
def poller(mail_sandbox: Sandbox, clock: Clock) -> Poller:
    # Rows another test of this process committed outside a transaction are not ours.
    TrackedEmail.objects.all().delete()
    client = NotifiedByClient(
        api_key=mail_sandbox.api_key, base_url=mail_sandbox.url, max_retries=0
    )
    return Poller(client=client, clock=clock, rate=1000.0, concurrency=2)


def _send(address: str, subject: str = "Your order") -> str:
    message = mail.EmailMessage(subject, "It shipped.", to=[address])
    message.send()
    email_id: str = message.notifiedby_status.email_ids[0]
    return email_id


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("ann@example.com", "delivered"),
        ("bounce@example.com", "bounced"),
        ("complaint@example.com", "complained"),
        ("fail@example.com", "failed"),
    ],
)
def test_a_sent_email_is_tracked_to_its_outcome_and_signalled_once(
    poller: Poller, clock: Clock, events: list[tuple[Any, str]], address: str, status: str
) -> None:
    email_id = _send(address)
    row = TrackedEmail.objects.get(email_id=email_id)
    assert (row.recipient, row.status, row.subject) == (address, "pending", "")
    assert poller.poll() == {}  # the first check is a minute after sending
    clock.advance(minutes=1)
    assert poller.poll() == {status: 1}
    clock.advance(days=3)
    assert poller.poll() == {}  # final: never asked again
    row.refresh_from_db()
    assert (row.status, row.checks, row.next_check_at) == (status, 1, None)
    [(event, esp_name)] = events
    assert esp_name == event.esp_name == "NotifiedBy"
    assert (event.event_type, event.message_id, event.recipient) == (status, email_id, address)
    assert event.timestamp == clock.now - timedelta(days=3)
    assert event.esp_event["status"] == status


def test_an_email_final_within_15_minutes_costs_at_most_3_requests(
    poller: Poller, clock: Clock, mail_sandbox: Sandbox
) -> None:
    mail_sandbox.configure(delivery_delay=600)
    email_id = _send("ann@example.com")
    outcomes = []
    for minutes in (1, 4, 10):  # to 1, 5 and 15 minutes after sending
        clock.advance(minutes=minutes)
        mail_sandbox.advance(minutes=minutes)
        outcomes.append(dict(poller.poll()))
    assert outcomes == [{"pending": 1}, {"pending": 1}, {"delivered": 1}]
    assert TrackedEmail.objects.get(email_id=email_id).checks == 3


def test_a_pending_email_is_given_up_as_unknown_at_the_give_up_age(
    poller: Poller, clock: Clock, mail_sandbox: Sandbox, events: list[tuple[Any, str]]
) -> None:
    mail_sandbox.configure(delivery_delay=7 * 86400)
    email_id = _send("ann@example.com")
    for _ in range(12):
        clock.advance(hours=8)
        poller.poll()
    row = TrackedEmail.objects.get(email_id=email_id)
    assert (row.status, row.next_check_at) == ("unknown", None)
    assert "gave up" in row.reason
    # Polled every 8 h: at 8 h (the missed checks made once), 16, 32, 40, 56, 64 and 72 h.
    assert row.checks == 7
    [(event, _)] = events
    assert (event.event_type, event.description) == ("unknown", row.reason)


def test_an_id_the_api_does_not_know_is_unknown_with_the_reason(
    poller: Poller, clock: Clock, events: list[tuple[Any, str]]
) -> None:
    TrackedEmail.objects.create(
        email_id="NOPE", recipient="ann@example.com", sent_at=clock.now, next_check_at=clock.now
    )
    assert poller.poll() == {"unknown": 1}
    row = TrackedEmail.objects.get()
    assert (row.status, row.next_check_at) == ("unknown", None)
    assert "404" in row.reason
    [(event, _)] = events
    assert event.event_type == "unknown"
    assert event.esp_event["id"] == "NOPE"


def test_a_status_the_sdk_does_not_know_is_signalled_as_unknown_with_the_raw_value(
    poller: Poller, clock: Clock, events: list[tuple[Any, str]]
) -> None:
    email_id = _send("ann@example.com")
    clock.advance(minutes=1)
    # No server answers it yet: the answer is given to the poller as if one had.
    [row] = poller._claim(10)
    answer = {"id": email_id, "status": "deferred", "ses_id": None}
    assert poller._record(row, answer, None) == "unknown"
    row = TrackedEmail.objects.get()
    assert (row.status, row.raw_status) == ("unknown", "deferred")
    assert row.next_check_at is not None  # still asked about: it may become final
    [(event, _)] = events
    assert event.event_type == "unknown"
    assert event.esp_event["status"] == "deferred"
    clock.advance(minutes=4)
    assert poller.poll() == {"delivered": 1}
    assert [e.event_type for e, _ in events] == ["unknown", "delivered"]


def test_an_outage_leaves_the_email_due_and_never_final(
    poller: Poller, clock: Clock, mail_sandbox: Sandbox, events: list[tuple[Any, str]]
) -> None:
    email_id = _send("ann@example.com")
    mail_sandbox.inject_fault(status=503, count=2, path="/v1/email/delivery/")
    clock.advance(minutes=1)
    assert poller.poll() == {"deferred": 1}
    row = TrackedEmail.objects.get(email_id=email_id)
    assert (row.status, row.checks, row.next_check_at) == (
        "pending",
        0,
        clock.now + timedelta(minutes=1),
    )
    mail_sandbox.inject_fault(drop=True, path="/v1/email/delivery/")
    clock.advance(minutes=1)
    assert poller.poll() == {"deferred": 1}
    assert events == []
    clock.advance(minutes=1)
    assert poller.poll() == {"deferred": 1}  # the second 503
    clock.advance(minutes=1)
    assert poller.poll() == {"delivered": 1}
    assert len(events) == 1


def test_a_429_pauses_polling(poller: Poller, clock: Clock, mail_sandbox: Sandbox) -> None:
    for n in range(3):
        _send(f"user{n}@example.com")
    mail_sandbox.inject_fault(status=429, retry_after=30, path="/v1/email/delivery/")
    clock.advance(minutes=1)
    poller.concurrency = 1
    assert poller.poll() == {"deferred": 3}  # one request, then none while paused
    assert len([r for r in mail_sandbox.requests if "delivery" in r.path]) == 1
    assert 0 < poller.limiter.paused_for() <= 30
    assert poller.poll() == {}  # still paused: no claim, no request


def test_a_poller_that_died_mid_poll_leaves_its_rows_to_another_after_the_lease(
    poller: Poller, clock: Clock, events: list[tuple[Any, str]]
) -> None:
    _send("ann@example.com")
    clock.advance(minutes=1)
    assert len(poller._claim(10)) == 1  # claimed, then the poller died
    other = Poller(client=poller.client, clock=clock, rate=1000.0)
    assert other.poll() == {}
    clock.advance(seconds=other.lease.total_seconds())
    assert other.poll() == {"delivered": 1}
    assert len(events) == 1


def test_an_answer_after_the_lease_is_not_recorded_nor_signalled(
    poller: Poller, clock: Clock, events: list[tuple[Any, str]]
) -> None:
    _send("ann@example.com")
    clock.advance(minutes=1)
    [row] = poller._claim(10)
    clock.advance(seconds=poller.lease.total_seconds())
    other = Poller(client=poller.client, clock=clock, rate=1000.0)
    assert other.poll() == {"delivered": 1}
    assert poller._record(row, {"id": row.email_id, "status": "delivered"}, None) == "expired"
    assert len(events) == 1


def test_a_receiver_written_for_anymail_works_unchanged(poller: Poller, clock: Clock) -> None:
    # As anymail's documentation writes one: every attribute of AnymailTrackingEvent.
    seen = []

    def handle_bounce(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
        if event.event_type == "bounced":
            seen.append(
                (
                    esp_name, event.recipient, event.message_id, event.timestamp,
                    event.esp_event["status"], event.event_id, event.click_url,
                    event.description, event.metadata, event.mta_response,
                    event.reject_reason, event.tags, event.user_agent,
                )
            )  # fmt: skip

    signals.tracking.connect(handle_bounce, weak=False, dispatch_uid="anymail-style")
    try:
        email_id = _send("bounce@example.com")
        clock.advance(minutes=1)
        poller.poll()
    finally:
        signals.tracking.disconnect(dispatch_uid="anymail-style")
    assert seen == [
        (
            "NotifiedBy", "bounce@example.com", email_id, clock.now, "bounced", None, None,
            None, {}, None, None, [], None,
        )
    ]  # fmt: skip


def test_a_failing_receiver_neither_stops_the_poller_nor_repeats_the_signal(
    poller: Poller, clock: Clock, events: list[tuple[Any, str]]
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("receiver bug")

    signals.tracking.connect(broken, weak=False, dispatch_uid="broken")
    try:
        _send("ann@example.com")
        _send("bob@example.com")
        clock.advance(minutes=1)
        assert poller.poll() == {"delivered": 2}
    finally:
        signals.tracking.disconnect(dispatch_uid="broken")
    assert len(events) == 2


def test_every_way_of_sending_is_recorded(poller: Poller, leak_secrets: set[str]) -> None:
    with override_settings(NOTIFIEDBY_TRACKING_STORE_SUBJECT=True):
        _send("ann@example.com", subject="Hello Ann")
        email = Email.objects.send(recipient="bob@example.com", subject="Hi Bob", body="x")
    key = generate_key()
    leak_secrets.add(key)
    with override_settings(NOTIFIEDBY_OUTBOX_KEYS=[key]):
        payload = EmailPayload(recipients=("cy@example.com",), subject="Queued", body="x")
        [queued] = enqueue(payload, {"cy@example.com": "key-cy"})
        assert deliver(client=poller.client) == {"sent": 1}
        tasks = pytest.importorskip("notifiedby.tasks")
        token = tasks.seal_payload({"recipient": "dee@example.com", "subject": "S", "body": "x"})
        task_id = tasks.send_email_task(token)["id"]
    queued.refresh_from_db()
    rows = {r.recipient: r for r in TrackedEmail.objects.all()}
    assert rows["ann@example.com"].subject == "Hello Ann"
    assert rows["bob@example.com"].subject == "Hi Bob"
    assert rows["bob@example.com"].email_id == str(email.id)
    assert rows["cy@example.com"].outbox_message_id == queued.pk
    assert rows["cy@example.com"].email_id == queued.email_id
    assert rows["dee@example.com"].email_id == task_id


def test_nothing_is_recorded_when_tracking_is_off(poller: Poller) -> None:
    with override_settings(NOTIFIEDBY_TRACKING=False):
        _send("ann@example.com")
    assert not TrackedEmail.objects.exists()


def test_a_blocked_recipient_is_not_tracked(poller: Poller, mail_sandbox: Sandbox) -> None:
    mail_sandbox.block("ann@example.com")
    with pytest.raises(NotifiedByRecipientsRefused):
        _send("ann@example.com")
    assert not TrackedEmail.objects.exists()


def test_the_command_and_the_task_poll_once(
    poller: Poller, mail_sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    email_id = _send("ann@example.com")
    TrackedEmail.objects.update(next_check_at=timezone.now())
    call_command("notifiedby_track", "--once")
    assert capsys.readouterr().out.strip() == "1 checked: 1 delivered"
    TrackedEmail.objects.update(status="pending", next_check_at=timezone.now())
    tasks = pytest.importorskip("notifiedby.tasks")
    assert tasks.track_deliveries_task() == {"delivered": 1}
    assert TrackedEmail.objects.get(email_id=email_id).status == "delivered"


def test_the_rate_cap_spaces_requests() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)

    limit = RateLimit(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limit.wait()
    assert slept == [0.25, 0.5]


def test_pollers_sharing_a_cache_share_the_cap_and_the_pause() -> None:
    # Two pollers' limiters (as in two processes) over one cache: Django's default cache is
    # the process's own, so here both reach it, as pollers reach a shared Redis.
    wall = [1000.25]
    slept: list[float] = []

    def limiter() -> RateLimit:
        shared = SharedBudget(3.0, wall=lambda: wall[0])
        return RateLimit(math.inf, clock=lambda: wall[0], sleep=slept.append, shared=shared)

    first, second = limiter(), limiter()
    for _ in range(2):
        first.wait()
    second.wait()
    assert slept == []
    # The second's third request would be the fourth this second, across both: it waits
    # for the next second (the fake clock doesn't move, so it stops there).
    wall_before = wall[0]

    def sleep_and_tick(seconds: float) -> None:
        slept.append(seconds)
        wall[0] += seconds

    second.sleep = sleep_and_tick
    second.wait()
    assert slept == [pytest.approx(1001 - wall_before)]

    first.pause(30)
    with pytest.raises(_Paused):
        second.wait()
    assert second.paused_for() == pytest.approx(30)


def test_the_schedule() -> None:
    sent = timezone.now()
    give_up = timedelta(hours=72)
    due = []
    now = sent
    while (upcoming := next_check(sent, now, give_up)) is not None:
        due.append(upcoming - sent)
        now = upcoming
    assert due == [
        timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
        timedelta(hours=4), timedelta(hours=16), timedelta(hours=28), timedelta(hours=40),
        timedelta(hours=52), timedelta(hours=64), timedelta(hours=72),
    ]  # fmt: skip
    # Checks missed while no poller ran are not made one after another.
    assert next_check(sent, sent + timedelta(hours=30), give_up) == sent + timedelta(hours=40)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NOTIFIEDBY_TRACKING_RATE", 0),
        ("NOTIFIEDBY_TRACKING_CONCURRENCY", "many"),
        ("NOTIFIEDBY_TRACKING_GIVE_UP", -1),
        ("NOTIFIEDBY_TRACKING", "perhaps"),
    ],
)
def test_a_bad_tracking_setting_fails_the_checks(name: str, value: object) -> None:
    messages = check_messages(**{name: value})
    assert [(m.id, m.obj) for m in messages] == [("notifiedby.E002", name)]


def test_without_django_nothing_is_recorded_and_nothing_breaks() -> None:
    script = (
        "from notifiedby.tracking.record import record_sent, tracking_active\n"
        "assert not tracking_active()\n"
        "record_sent('ABC', 'ann@example.com')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr


def test_a_connection_opened_for_a_send_in_a_worker_thread_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Django gives each thread its own connection; one opened for a send in a thread of the
    # caller's is closed again, and the main thread's is left open. (The suite's in-memory
    # SQLite ignores close(), so the test watches the call.)
    import threading

    from django.db import connections

    from notifiedby._db import thread_connection

    closed: list[str] = []
    wrapper = type(connections["default"])
    monkeypatch.setattr(
        wrapper, "close", lambda self: closed.append(threading.current_thread().name)
    )

    def use() -> None:
        with thread_connection("default"):
            connections["default"].ensure_connection()

    worker = threading.Thread(target=use, name="caller-pool")
    worker.start()
    worker.join()
    use()
    assert closed == ["caller-pool"]
