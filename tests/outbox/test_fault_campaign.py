"""A seeded campaign of 1,000+ mixed operations against a sandbox failing 30% of requests.

Afterwards: every email meant was delivered exactly once, every state change is on the
sandbox, and every failure the caller saw was a NotifiedByError. The figures are recorded
for the end-of-run summary and written to ``figures.txt`` in the test's tmp dir.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

from django.core import mail
from django.test import TestCase
from django.utils import timezone

from notifiedby import Email, Recipient
from notifiedby.client import NotifiedByClient
from notifiedby.exceptions import NotifiedByError
from notifiedby.functions import create_recipient, subscribe_to_flow
from notifiedby.models import OutboxMessage
from notifiedby.outbox import RetryPolicy, deliver, is_permanent
from notifiedby.sandbox import Sandbox

OPERATIONS = 1000
SEED = 20261129
PEOPLE = [f"user{i:02d}@example.com" for i in range(40)]
FLAGS = ["free", "premium", "beta", "churn_risk"]
#: Six rules at 6% each: about 30% of requests meet one. Half strike after the server acted.
FAULTS = [
    {"status": 503},
    {"drop": True},
    {"latency": 0.005, "status": 502},
    {"status": 429, "retry_after": "0"},
    {"status": 503, "after": True},
    {"drop": True, "after": True},
]


def fast(client: NotifiedByClient) -> NotifiedByClient:
    client.backoff_base = client.backoff_max = 0.001
    return client


def test_a_thousand_operations_under_faults(
    outbox: Sandbox, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    sandbox = outbox
    client = fast(NotifiedByClient(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=3))
    for seed, fault in enumerate(FAULTS):
        sandbox.inject_fault(rate=0.06, seed=SEED + seed, **fault)  # type: ignore[arg-type]
    rng = random.Random(SEED)
    seen: Counter[str] = Counter()
    foreign: list[BaseException] = []
    meant_subjects: list[str] = []
    meant_flags: dict[str, set[str]] = {}
    meant_subscribed: set[str] = set()

    def attempt(action: object, *, until_done: bool) -> None:
        """Run ``action`` as a caller would: count what fails; retry state changes."""
        while True:
            try:
                action()  # type: ignore[operator]
                return
            except NotifiedByError as exc:
                seen[type(exc).__name__] += 1
                # A refusal ends it: for a repeated subscribe, "already subscribed" means an
                # earlier, ambiguous attempt had worked.
                if not until_done or is_permanent(exc):
                    return
            except Exception as exc:
                foreign.append(exc)
                return

    for number in range(OPERATIONS):
        operation = rng.choices(["send", "subscribe", "flag", "list"], [4, 2, 2, 2])[0]
        person = rng.choice(PEOPLE)
        seen[operation] += 1
        if operation == "send":
            subject = f"campaign #{number}"
            meant_subjects.append(subject)
            with TestCase.captureOnCommitCallbacks(execute=True):
                attempt(mail.EmailMessage(subject, "Hi", to=[person]).send, until_done=True)
        elif operation == "subscribe" and person not in meant_subscribed:
            meant_subscribed.add(person)
            attempt(
                partial(subscribe_to_flow, "WELCOME_SIGNUP", person, client=client), until_done=True
            )
        elif operation == "flag":
            flag = rng.choice(FLAGS)
            meant_flags.setdefault(person, set()).add(flag)
            # An upsert adds flags and creates the recipient if needed.
            attempt(partial(create_recipient, person, flags=[flag], client=client), until_done=True)
        else:
            listings: list[Callable[[], object]] = [
                lambda: list(Recipient.objects.using(client).all()[:7]),
                Email.objects.using(client).filter(recipient=person).count,
            ]  # fmt: skip
            attempt(rng.choice(listings), until_done=False)

    faults = sum(1 for request in sandbox.requests if request.fault is not None)
    sandbox.clear_faults()
    while OutboxMessage.objects.filter(state="pending").exists():
        OutboxMessage.objects.update(next_attempt_at=timezone.now())
        deliver(client=client, policy=RetryPolicy(base=0, max_attempts=10_000))

    delivered = Counter(email.subject for email in sandbox.emails)
    duplicates = sum(count - 1 for count in delivered.values() if count > 1)
    losses = sum(1 for subject in meant_subjects if delivered[subject] == 0)
    figures = (
        f"{OPERATIONS} operations ({seen['send']} sends, {seen['subscribe']} subscribes, "
        f"{seen['flag']} flag changes, {seen['list']} listings), {len(sandbox.requests)} "
        f"requests, {faults} faults injected, {len(meant_subjects)} emails meant, "
        f"{duplicates} duplicates, {losses} losses, {len(foreign)} non-NotifiedBy errors; "
        "errors seen: "
        + ", ".join(f"{n} {name}" for name, n in sorted(seen.items()) if name.startswith("Not"))
    )
    record_property("figures", figures)
    (tmp_path / "figures.txt").write_text(figures + "\n")

    assert foreign == []
    assert faults >= 0.2 * len(sandbox.requests)
    assert (duplicates, losses) == (0, 0)
    assert set(delivered) == set(meant_subjects)
    assert OutboxMessage.objects.filter(state="failed").count() == 0
    recipients = {r["email"]: set(r["flags"]) for r in sandbox.recipients}
    for person, flags in meant_flags.items():
        assert flags <= recipients[person], person
    subscribed = {s["recipient_email"] for s in sandbox.subscriptions}
    assert meant_subscribed <= subscribed
    assert all(
        Counter(s["recipient_email"] for s in sandbox.subscriptions)[p] == 1 for p in subscribed
    )
