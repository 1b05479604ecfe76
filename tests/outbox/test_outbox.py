"""The outbox on SQLite: queued in the transaction, sent after commit, once, encrypted."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.test import TestCase, override_settings
from django.utils import timezone

from notifiedby.exceptions import (
    NotifiedByConfigError,
    NotifiedByConnectionError,
    NotifiedByInvalidArgument,
    NotifiedByNotFoundError,
    NotifiedByRateLimitError,
    NotifiedByServerError,
    NotifiedByValidationError,
)
from notifiedby.models import OutboxMessage
from notifiedby.outbox import (
    RetryPolicy,
    counts,
    deliver,
    delivery,
    generate_key,
    is_permanent,
    rotate_keys,
)
from notifiedby.resources.email import EmailQuerySet, SendResult
from notifiedby.sandbox import Sandbox
from tests.outbox.conftest import KEY

SECRET_BODY = "Your reset code is 731-SECRET-4491"


def send(to: list[str], body: str = SECRET_BODY) -> mail.EmailMessage:
    message = mail.EmailMessage("Reset ✓", body, to=to)
    message.attach("code.txt", b"\x00attached-SECRET\xff", "application/octet-stream")
    message.send()
    return message


def test_queued_in_the_transaction_and_sent_once_per_address_after_commit(
    outbox: Sandbox,
) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        message = send(["a@example.com", "b@example.com"])
        assert message.notifiedby_status.status == {"queued"}
        assert OutboxMessage.objects.count() == 2
        assert outbox.emails == []
    assert sorted(e.recipient for e in outbox.emails) == ["a@example.com", "b@example.com"]
    keys = message.notifiedby_idempotency_keys
    assert {e.recipient: e.idempotency_key for e in outbox.emails} == keys
    assert counts() == {"pending": 0, "sent": 2, "failed": 0}
    assert outbox.emails[0].attachments[0].content == b"\x00attached-SECRET\xff"
    deliver()  # nothing left to do
    assert len(outbox.emails) == 2


def test_a_rolled_back_message_is_never_sent(outbox: Sandbox) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        try:
            with transaction.atomic():
                send(["a@example.com"])
                raise RuntimeError("the view failed")
        except RuntimeError:
            pass
    assert OutboxMessage.objects.count() == 0
    assert outbox.emails == []


def test_the_database_holds_no_plaintext(outbox: Sandbox) -> None:
    send(["a@example.com"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM notifiedby_outboxmessage")
        dump = repr(cursor.fetchall())
    assert "a@example.com" in dump  # the address is in clear, for the admin and workers
    for secret in ("731-SECRET-4491", "Reset", "attached-SECRET", KEY):
        assert secret not in dump


def test_transient_failures_are_retried_later_with_the_same_key(outbox: Sandbox) -> None:
    send(["a@example.com"])
    outbox.inject_fault(503, path="/v1/email/send/", count=1, after=True)  # acted, then failed
    assert deliver() == {"deferred": 1}
    row = OutboxMessage.objects.get()
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > timezone.now()
    assert "503" in row.last_error
    assert deliver() == {}  # not due yet
    OutboxMessage.objects.update(next_attempt_at=timezone.now())
    assert deliver() == {"sent": 1}
    assert len(outbox.emails) == 1  # the server had sent it; the repeat was recognised
    sends = [r for r in outbox.requests if r.path == "/v1/email/send/"]
    assert len({r.headers["Idempotency-Key"] for r in sends}) == 1


def test_permanent_failures_are_marked_failed_with_the_reason(outbox: Sandbox) -> None:
    send(["a@example.com"])
    outbox.inject_fault(400, path="/v1/email/send/", body={"subject": ["Bad."]})
    assert deliver() == {"failed": 1}
    row = OutboxMessage.objects.get()
    assert row.state == "failed"
    assert "subject: Bad." in row.last_error


def test_429_is_transient_and_attempts_run_out(outbox: Sandbox) -> None:
    send(["a@example.com"])
    outbox.inject_fault(429, path="/v1/email/send/", count=3)
    policy = RetryPolicy(base=0, max_attempts=3)
    assert deliver(policy=policy) == {"deferred": 2, "failed": 1}
    assert OutboxMessage.objects.get().state == "failed"


def test_an_attempt_cut_off_mid_send_counts_and_the_row_is_sent_again_after_the_lease(
    outbox: Sandbox,
) -> None:
    send(["a@example.com"])
    claim = delivery._claim(None, timedelta(seconds=60), 25, "default")  # then the worker dies
    assert claim is not None
    _, until = claim
    row = OutboxMessage.objects.get()
    assert (row.state, row.attempts, row.next_attempt_at) == ("pending", 1, until)
    assert "recorded no outcome" in row.last_error
    assert deliver() == {}  # leased: no other worker takes it
    OutboxMessage.objects.update(next_attempt_at=timezone.now())  # the lease runs out
    assert deliver() == {"sent": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")
    assert [e.idempotency_key for e in outbox.emails] == [row.idempotency_key]


def test_a_row_whose_attempts_all_were_cut_off_is_failed_without_a_send(outbox: Sandbox) -> None:
    send(["a@example.com"])
    for _ in range(3):  # each worker that takes it dies mid-send; a zero lease ends at once
        assert delivery._claim(None, timedelta(0), 3, "default") is not None
    assert deliver(policy=RetryPolicy(max_attempts=3)) == {"failed": 1}
    row = OutboxMessage.objects.get()
    assert (row.state, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("Gave up after 3 attempts; the last: Attempt 3 started")
    assert outbox.requests == []


def test_a_send_that_crashes_the_worker_counts_and_leases_the_row(
    outbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(["a@example.com"])

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the worker crashed")

    monkeypatch.setattr(EmailQuerySet, "send_payload", crash)
    with override_settings(NOTIFIEDBY_OUTBOX_LEASE="90"), pytest.raises(RuntimeError):
        deliver()
    row = OutboxMessage.objects.get()
    assert (row.state, row.attempts) == ("pending", 1)
    assert 80 < (row.next_attempt_at - timezone.now()).total_seconds() <= 90


def test_an_outcome_after_another_worker_took_the_row_is_not_recorded(
    outbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    send(["a@example.com"])

    send_payload = EmailQuerySet.send_payload

    def slow_send(*args: Any, **kwargs: Any) -> SendResult:
        # The lease runs out mid-send and another worker claims the row.
        OutboxMessage.objects.update(next_attempt_at=timezone.now())
        delivery._claim(None, timedelta(seconds=60), 25, "default")
        return send_payload(*args, **kwargs)

    monkeypatch.setattr(EmailQuerySet, "send_payload", slow_send)
    assert deliver(limit=1) == {"expired": 1}
    row = OutboxMessage.objects.get()
    assert (row.state, row.attempts) == ("pending", 2)  # as the second claim left it


def test_an_invalid_lease_is_a_configuration_error(outbox: Sandbox) -> None:
    lease = override_settings(NOTIFIEDBY_OUTBOX_LEASE="soon")
    with lease, pytest.raises(NotifiedByConfigError, match="LEASE must be a positive number"):
        deliver()


def test_input_refused_before_sending_and_4xx_are_permanent_the_rest_transient() -> None:
    assert is_permanent(NotifiedByInvalidArgument("subject: expected a string, got int."))
    assert is_permanent(NotifiedByValidationError("Bad", status_code=400))
    assert is_permanent(NotifiedByNotFoundError("Gone", status_code=404))
    assert not is_permanent(NotifiedByRateLimitError("Slow down", status_code=429))
    assert not is_permanent(NotifiedByServerError("Down", status_code=503))
    assert not is_permanent(NotifiedByConnectionError("Refused"))


def test_a_blocked_recipient_is_failed_not_retried(outbox: Sandbox) -> None:
    outbox.block("a@example.com")
    send(["a@example.com"])
    assert deliver() == {"failed": 1}
    assert "blocked" in OutboxMessage.objects.get().last_error


def test_keys_rotate_first_encrypts_all_decrypt(outbox: Sandbox, leak_secrets: set[str]) -> None:
    send(["a@example.com"])
    new = generate_key()
    leak_secrets.add(new)
    old_token = bytes(OutboxMessage.objects.get().payload)
    with override_settings(NOTIFIEDBY_OUTBOX_KEYS=[new, KEY]):
        assert rotate_keys() == 1
    assert bytes(OutboxMessage.objects.get().payload) != old_token
    with override_settings(NOTIFIEDBY_OUTBOX_KEYS=[KEY]), pytest.raises(NotifiedByConfigError):
        deliver()
    assert OutboxMessage.objects.get().attempts == 0  # handed back: the row was not at fault
    with override_settings(NOTIFIEDBY_OUTBOX_KEYS=[new]):
        assert deliver() == {"sent": 1}


def test_an_invalid_key_is_named_by_position_not_shown(outbox: Sandbox) -> None:
    invalid = override_settings(NOTIFIEDBY_OUTBOX_KEYS=[KEY, "not-a-key-SECRET"])
    with invalid, pytest.raises(NotifiedByConfigError, match="position 2") as caught:
        send(["a@example.com"])
    assert "not-a-key-SECRET" not in str(caught.value)


def test_the_command_drains_shows_retries_and_purges(outbox: Sandbox) -> None:
    send(["a@example.com", "b@example.com"])
    outbox.inject_fault(400, path="/v1/email/send/")
    out = StringIO()
    call_command("notifiedby_outbox", "--once", stdout=out)
    assert "1 sent, 0 deferred, 1 failed" in out.getvalue()
    call_command("notifiedby_outbox", "--retry-failed", "--once", stdout=out)
    call_command("notifiedby_outbox", "--once", stdout=out)
    call_command("notifiedby_outbox", "--purge", "sent", stdout=out)
    status = StringIO()
    call_command("notifiedby_outbox", "--status", stdout=status)
    assert status.getvalue().split() == ["pending", "0", "sent", "0", "failed", "0"]
    assert len(outbox.emails) == 2


def test_a_worker_sends_with_the_encryption_key_the_outbox_never_stores(
    outbox: Sandbox, leak_secrets: set[str]
) -> None:
    key = "customer-encryption-key-0123456789"
    leak_secrets.add(key)
    with override_settings(NOTIFIEDBY_ENCRYPTION_KEY=key):
        send(["a@example.com"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM notifiedby_outboxmessage")
            dump = repr(cursor.fetchall())
        call_command("notifiedby_outbox", "--once", stdout=StringIO())
    assert key not in dump
    [email] = outbox.emails
    assert (email.encrypted, email.body) == (True, None)  # stored under the key
    assert SECRET_BODY in (outbox.decrypted_email(email.id, key).body or "")


def test_celery_delivery_hands_the_row_ids_to_the_drain_task(
    outbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    tasks = pytest.importorskip("notifiedby.tasks", reason="the celery extra is not installed")
    drain = tasks.drain_outbox_task
    queued: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    broker = SimpleNamespace(delay=lambda *args, **kwargs: queued.append((args, kwargs)))
    monkeypatch.setattr(tasks, "drain_outbox_task", broker)
    with (
        override_settings(NOTIFIEDBY_OUTBOX_DELIVERY="celery"),
        TestCase.captureOnCommitCallbacks(execute=True),
    ):
        send(["a@example.com", "b@example.com"])
        assert queued == []  # not before the commit
    ids = list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))
    assert queued == [((ids,), {"using": "default"})]
    assert outbox.emails == []  # handed on, not sent here
    # What a worker does with the task: run it (eagerly here, no broker needed).
    args, kwargs = queued[0]
    assert drain.apply(args, kwargs).get() == {"sent": 2}
    assert sorted(e.recipient for e in outbox.emails) == ["a@example.com", "b@example.com"]


def test_workers_delivery_leaves_the_rows_to_the_workers(outbox: Sandbox) -> None:
    with (
        override_settings(NOTIFIEDBY_OUTBOX_DELIVERY="Workers"),
        TestCase.captureOnCommitCallbacks(execute=True) as callbacks,
    ):
        send(["a@example.com"])
    assert (callbacks, outbox.emails) == ([], [])
    assert counts()["pending"] == 1


def test_an_unknown_delivery_is_a_configuration_error(outbox: Sandbox) -> None:
    with (
        override_settings(NOTIFIEDBY_OUTBOX_DELIVERY="later"),
        pytest.raises(NotifiedByConfigError, match=r"NOTIFIEDBY_OUTBOX_DELIVERY.*'celery'"),
    ):
        send(["a@example.com"])
