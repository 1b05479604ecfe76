"""Run one API call per item over a bounded thread pool that shares one client.

The bulk methods (``Recipient.objects.bulk_upsert``, ``Flow.bulk_subscribe``,
``Recipient.objects.bulk_set_flags`` / ``bulk_clear_flags``) are a few lines each over
:func:`run`. Input is read lazily and at most ``2 * concurrency`` items are in flight, so
memory stays flat for any input size. A failing item becomes a failed :class:`BulkResult`;
the run goes on. See docs/bulk.md.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

import attrs

__all__ = [
    "DEFAULT_CONCURRENCY",
    "MAX_KEPT_FAILURES",
    "BulkResult",
    "BulkSummary",
    "OnResult",
    "Progress",
    "imap",
    "run",
]

T = TypeVar("T")
V = TypeVar("V")

#: Worker threads when the caller does not say.
DEFAULT_CONCURRENCY = 8
#: Items read ahead per worker: enough to keep every worker busy while the oldest item
#: (whose result must come out first) is still running.
WINDOW_PER_WORKER = 2
#: How many failures a summary keeps (the first ones); ``failed`` still counts them all.
MAX_KEPT_FAILURES = 1000


@attrs.frozen
class BulkResult(Generic[T, V]):
    """The outcome of one item: ``value`` when it succeeded, else ``error``."""

    #: The item's position in the input, from 0.
    index: int
    #: The input item, as given.
    item: T
    value: V | None = None
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@attrs.define
class BulkSummary(Generic[T, V]):
    """Counts for a bulk run, filled in as results come; passed to ``progress`` callbacks."""

    ok: int = 0
    failed: int = 0
    #: Seconds since the run started.
    elapsed: float = 0.0
    #: The first MAX_KEPT_FAILURES failed results, item and error attached.
    failures: list[BulkResult[T, V]] = attrs.field(factory=list, repr=False)

    @property
    def total(self) -> int:
        return self.ok + self.failed

    def add(self, result: BulkResult[T, V]) -> None:
        """Count one result (and keep it if it failed and there is room)."""
        if result.ok:
            self.ok += 1
            return
        self.failed += 1
        if len(self.failures) < MAX_KEPT_FAILURES:
            self.failures.append(result)

    def __str__(self) -> str:
        return f"{self.total} items: {self.ok} ok, {self.failed} failed in {self.elapsed:.1f} s"


#: Callback types the bulk methods accept.
Progress = Callable[[BulkSummary[Any, Any]], object]
OnResult = Callable[[BulkResult[Any, Any]], object]


def _call(func: Callable[[T], V], index: int, item: T) -> BulkResult[T, V]:
    try:
        return BulkResult(index, item, value=func(item))
    except Exception as exc:
        # The point of a bulk run is to get through the rest: the error travels on the result.
        return BulkResult(index, item, error=exc)


def imap(
    func: Callable[[T], V], items: Iterable[T], *, concurrency: int = DEFAULT_CONCURRENCY
) -> Generator[BulkResult[T, V], None, None]:
    """Yield ``func(item)`` for each item as a BulkResult, in input order.

    Up to ``concurrency`` calls run at once in worker threads; the input is read only as
    results are taken. Stopping early (closing the generator) waits for the calls already
    started, and starts no more.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number of 1 or more, got {concurrency!r}.")
    window = concurrency * WINDOW_PER_WORKER
    pending: deque[Future[BulkResult[T, V]]] = deque()
    with ThreadPoolExecutor(concurrency, thread_name_prefix="notifiedby-bulk") as pool:
        try:
            for index, item in enumerate(items):
                pending.append(pool.submit(_call, func, index, item))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def run(
    func: Callable[[T], V],
    items: Iterable[T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Progress | None = None,
    on_result: OnResult | None = None,
) -> BulkSummary[T, V]:
    """Call ``func`` on every item and return the summary.

    ``on_result`` gets each BulkResult and ``progress`` the running summary after each item,
    both in input order and in the calling thread.
    """
    summary: BulkSummary[T, V] = BulkSummary()
    started = time.monotonic()
    for result in imap(func, items, concurrency=concurrency):
        summary.add(result)
        summary.elapsed = time.monotonic() - started
        if on_result is not None:
            on_result(result)
        if progress is not None:
            progress(summary)
    summary.elapsed = time.monotonic() - started
    return summary
