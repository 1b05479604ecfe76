"""The bulk machinery (notifiedby.bulk) and the bulk methods on the resources."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest

from notifiedby import Flow, NotifiedByClient, Recipient, bulk
from notifiedby.bulk import BulkResult, BulkSummary
from notifiedby.exceptions import NotifiedByNotFoundError, NotifiedByValidationError
from notifiedby.sandbox import Sandbox


@pytest.fixture
def client(sandbox: Sandbox):
    with NotifiedByClient(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0) as c:
        yield c


# --- the engine -------------------------------------------------------------------------------


def test_imap_keeps_input_order_and_runs_calls_concurrently() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01 * (n % 3))  # later items often finish first
        with lock:
            running -= 1
        return n * n

    results = list(bulk.imap(work, range(40), concurrency=4))
    assert [r.index for r in results] == list(range(40))
    assert [r.value for r in results] == [n * n for n in range(40)]
    assert peak == 4


def test_imap_reads_the_input_lazily_with_a_bounded_window() -> None:
    taken = 0

    def endless() -> Iterator[int]:
        nonlocal taken
        for n in itertools.count():
            taken += 1
            yield n

    results = bulk.imap(lambda n: n, endless(), concurrency=3)
    assert next(results).value == 0
    assert taken <= 3 * bulk.WINDOW_PER_WORKER + 1
    results.close()  # stopping early starts nothing more


def test_a_failing_item_does_not_stop_the_run() -> None:
    def invert(n: int) -> float:
        return 1 / n

    seen: list[BulkResult[int, float]] = []
    summaries: list[int] = []
    summary = bulk.run(
        invert,
        [2, 0, 4],
        concurrency=2,
        on_result=seen.append,
        progress=lambda s: summaries.append(s.total),
    )
    assert (summary.ok, summary.failed, summary.total) == (2, 1, 3)
    assert [r.ok for r in seen] == [True, False, True]
    failure = summary.failures[0]
    assert (failure.index, failure.item) == (1, 0)
    assert isinstance(failure.error, ZeroDivisionError)
    assert summaries == [1, 2, 3]
    assert "3 items: 2 ok, 1 failed" in str(summary)


def test_a_summary_keeps_a_bounded_number_of_failures() -> None:
    summary: BulkSummary[int, None] = BulkSummary()
    for index in range(bulk.MAX_KEPT_FAILURES + 5):
        summary.add(BulkResult(index, index, error=ValueError()))
    assert summary.failed == bulk.MAX_KEPT_FAILURES + 5
    assert len(summary.failures) == bulk.MAX_KEPT_FAILURES


@pytest.mark.parametrize("concurrency", [0, -1, 1.5, True])
def test_concurrency_must_be_a_positive_whole_number(concurrency: object) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        bulk.run(lambda n: n, [1], concurrency=concurrency)  # type: ignore[arg-type]


# --- the resources ----------------------------------------------------------------------------


def test_bulk_upsert_takes_addresses_dicts_and_recipients(
    sandbox: Sandbox, client: NotifiedByClient
) -> None:
    items = [
        "a@example.com",
        {"email": "b@example.com", "first_name": "Bea", "flags": ["vip"]},
        Recipient(email="c@example.com", last_name="Cole"),
        "not an address",
        {"first_name": "no email"},
    ]
    summary = Recipient.objects.using(client).bulk_upsert(items, concurrency=3)
    assert (summary.ok, summary.failed) == (3, 2)
    assert {f.index for f in summary.failures} == {3, 4}
    assert isinstance(summary.failures[0].error, NotifiedByValidationError)
    stored = {r["email"]: r for r in sandbox.recipients}
    assert set(stored) == {"a@example.com", "b@example.com", "c@example.com"}
    assert stored["b@example.com"]["flags"] == ["vip"]
    assert stored["c@example.com"]["last_name"] == "Cole"


def test_bulk_upsert_results_carry_recipients(client: NotifiedByClient) -> None:
    values: list[object] = []
    Recipient.objects.using(client).bulk_upsert(
        (f"u{n}@example.com" for n in range(12)),
        concurrency=4,
        on_result=lambda r: values.append(r.value),
    )
    assert [str(v) for v in values] == [f"u{n}@example.com" for n in range(12)]
    assert all(isinstance(v, Recipient) for v in values)


def test_bulk_flags_set_and_clear(sandbox: Sandbox, client: NotifiedByClient) -> None:
    manager = Recipient.objects.using(client)
    manager.bulk_upsert(["a@example.com", "b@example.com"])
    summary = manager.bulk_set_flags(["a@example.com", "b@example.com", "x@example.com"], "beta")
    assert (summary.ok, summary.failed) == (2, 1)
    assert isinstance(summary.failures[0].error, NotifiedByNotFoundError)
    assert all(r["flags"] == ["beta"] for r in sandbox.recipients)
    assert manager.bulk_clear_flags(["a@example.com"], ["beta"]).ok == 1
    assert {r["email"]: r["flags"] for r in sandbox.recipients}["a@example.com"] == []


def test_bulk_flags_check_the_flag_names_before_any_request(
    sandbox: Sandbox, client: NotifiedByClient
) -> None:
    with pytest.raises(NotifiedByValidationError):
        Recipient.objects.using(client).bulk_set_flags(["a@example.com"], ["a,b"])
    assert sandbox.requests == []


def test_flow_bulk_subscribe(sandbox: Sandbox, client: NotifiedByClient) -> None:
    flow = Flow.objects.using(client).get(trigger="WELCOME_SIGNUP")
    items = [
        "a@example.com",
        {"email": "b@example.com", "first_name": "Bea", "flags": ["vip"]},
        "a@example.com",  # already active: a failed item, not a stopped run
    ]
    ids: list[object] = []
    summary = flow.bulk_subscribe(
        items, flags=["new"], concurrency=1, on_result=lambda r: ids.append(r.value)
    )
    assert (summary.ok, summary.failed) == (2, 1)
    assert ids[:2] == [s["id"] for s in sandbox.subscriptions]
    flags = {r["email"]: r["flags"] for r in sandbox.recipients}
    assert flags == {"a@example.com": ["new"], "b@example.com": ["vip"]}
