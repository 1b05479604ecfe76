"""The send and subscribe tasks, run eagerly (no broker): what they queue, and that payloads
sealed before the tasks went through the managers still run."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from notifiedby.exceptions import NotifiedByInvalidArgument
from notifiedby.sandbox import Sandbox

tasks = pytest.importorskip("notifiedby.tasks", reason="the celery extra is not installed")


@pytest.fixture
def queue(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Point the default client at the sandbox, and keep the tokens ``delay`` would queue."""
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", sandbox.api_key)
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", sandbox.url)
    monkeypatch.setenv("NOTIFIEDBY_OUTBOX_KEYS", Fernet.generate_key().decode())
    queued: list[str] = []
    for task in (tasks.send_email_task, tasks.subscribe_task):
        monkeypatch.setattr(task, "delay", queued.append)
    return queued


def run(task: Any, token: str) -> Any:
    return task.apply((token,)).get()


def test_a_queued_send_runs_once_with_its_key(sandbox: Sandbox, queue: list[str]) -> None:
    tasks.send_email_later(recipient="a@example.com", subject="S", body="<p>B</p>", flags="vip")
    [token] = queue
    payload = tasks.open_payload(token)
    answer = run(tasks.send_email_task, token)
    assert run(tasks.send_email_task, token) == answer  # redelivered: the same key, one email
    [email] = sandbox.emails
    assert (email.id, email.idempotency_key, list(email.flags)) == (
        answer["id"],
        payload["idempotency_key"],
        ["vip"],
    )


def test_a_payload_in_the_earlier_format_still_sends(sandbox: Sandbox, queue: list[str]) -> None:
    # Sealed by the previous release: only the given fields, no attachments key.
    token = tasks.seal_payload(
        {"recipient": "a@example.com", "subject": "S", "body": "B", "idempotency_key": "k-1"}
    )
    assert run(tasks.send_email_task, token)["id"] == sandbox.emails[0].id


def test_a_blocked_recipient_is_in_the_answer_not_an_error(
    sandbox: Sandbox, queue: list[str]
) -> None:
    sandbox.block("a@example.com")
    tasks.send_email_later(recipient="a@example.com", subject="S", body="B")
    assert "error" in run(tasks.send_email_task, queue[0])


def test_a_queued_subscribe(sandbox: Sandbox, queue: list[str]) -> None:
    tasks.subscribe_later("WELCOME_SIGNUP", "a@example.com", first_name="A", flags="new")
    answer = run(tasks.subscribe_task, queue[0])
    [subscription] = sandbox.subscriptions
    assert subscription["id"] == answer["subscription_id"]
    assert sandbox.recipients[0]["flags"] == ["new"]


def test_bad_input_is_refused_before_queueing(queue: list[str]) -> None:
    with pytest.raises(NotifiedByInvalidArgument, match="recipient"):
        tasks.send_email_later(recipient="nope", subject="S", body="B")
    with pytest.raises(NotifiedByInvalidArgument, match="flags"):
        tasks.send_email_later(recipient="a@example.com", subject="S", body="B", flags=["a,b"])
    with pytest.raises(NotifiedByInvalidArgument, match="flow_trigger"):
        tasks.subscribe_later(" ", "a@example.com")
    assert queue == []
