"""The seven measurements: each runs the SDK and its baseline in the same process and run."""

from __future__ import annotations

import math
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from multiprocessing.connection import Connection
from typing import Any

import attrs
import requests

from notifiedby import NotifiedByClient, Recipient, Subscription
from notifiedby.sandbox import Sandbox

__all__ = [
    "Figure",
    "bench_backend",
    "bench_bulk",
    "bench_call_overhead",
    "bench_client_filter",
    "bench_import",
    "bench_pagination",
    "bench_pytest_startup",
    "bench_tracking",
]

MB = 1024 * 1024
#: The page size the streaming figures ask for, the API's largest.
PAGE_SIZE = 500


@attrs.frozen(kw_only=True)
class Figure:
    """One row of the table: a measured value, its target, and whether it was met."""

    name: str
    value: float | None
    unit: str
    target: str
    met: bool | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _raw_session(sandbox: Sandbox) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Api-Key {sandbox.api_key}"
    return session


def _median_ms(call: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def bench_call_overhead(sandbox: Sandbox, client: NotifiedByClient, calls: int) -> list[Figure]:
    """Median time of one SDK call over the same request made with a bare requests.Session."""
    sandbox.reset()
    Recipient.objects.using(client).create(email="bench@example.com")
    raw = _raw_session(sandbox)
    url = f"{sandbox.url}/v1/recipients/"
    manager = Recipient.objects.using(client)
    params: dict[str, str | int] = {"email": "bench@example.com", "page_size": 1}
    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        (
            "GET one recipient",
            lambda: manager.filter(email="bench@example.com").first(),
            lambda: raw.get(url, params=params).json(),
        ),
        (
            "POST an upsert",
            lambda: manager.create(email="bench@example.com", first_name="B"),
            lambda: raw.post(
                url,
                json={"email": "bench@example.com", "first_name": "B"},
                headers={"Idempotency-Key": uuid.uuid4().hex},  # as the SDK sends
            ).json(),
        ),
    ]
    figures = []
    for name, sdk_call, raw_call in cases:
        for call in (sdk_call, raw_call):  # warm the connections and caches
            _median_ms(call, 20)
        # Alternate the legs in blocks so drift (CPU frequency, the store growing) hits both.
        sdk_ms, raw_ms = [], []
        for _ in range(10):
            sdk_ms.append(_median_ms(sdk_call, calls // 10))
            raw_ms.append(_median_ms(raw_call, calls // 10))
        sdk, base = statistics.median(sdk_ms), statistics.median(raw_ms)
        ratio = sdk / base
        figures.append(
            Figure(
                name=f"call overhead: {name}",
                value=round(ratio, 3),
                unit="x raw requests",
                target="<= 1.10x",
                met=ratio <= 1.10,
                detail=f"SDK {sdk:.3f} ms vs raw {base:.3f} ms, median of {calls} calls each",
            )
        )
    raw.close()
    return figures


def bench_pagination(sandbox: Sandbox, client: NotifiedByClient, items: int) -> list[Figure]:
    """Requests made and peak traced memory while streaming ``items`` subscriptions."""
    sandbox.reset()
    store = sandbox.control.store
    flow = store.get_flow("WELCOME_SIGNUP")
    assert flow is not None
    # Seed through the store: going over HTTP would take minutes and measure nothing useful.
    for n in range(items):
        store.add_subscription(f"user{n}@example.com", flow)
    sandbox.configure(page_size=PAGE_SIZE)
    query = Subscription.objects.using(client)
    seen, made, elapsed, peak = _stream(sandbox, query.iterator(chunk_size=PAGE_SIZE))
    assert seen == items, f"iterated {seen} of {items} subscriptions"
    detail = f"{items} subscriptions with iterator(chunk_size={PAGE_SIZE}) in {elapsed:.1f} s"
    return _stream_figures("pagination", items, made, peak, detail)


def bench_client_filter(sandbox: Sandbox, client: NotifiedByClient, items: int) -> list[Figure]:
    """Requests made and peak traced memory while a filter the API can't apply streams over
    ``items`` recipients, one in ten of which match."""
    sandbox.reset()
    store = sandbox.control.store
    # Seed through the store, in one transaction: over HTTP would take minutes.
    with store.transaction():
        for n in range(items):
            store.upsert_recipient(f"user{n}@example.com", first_name="Ann" if n % 10 else "Abe")
    query = Recipient.objects.using(client).filter(first_name__startswith="Ab")
    seen, made, elapsed, peak = _stream(sandbox, query.iterator(chunk_size=PAGE_SIZE))
    assert seen == math.ceil(items / 10), f"{seen} matches of {items} recipients"
    detail = (
        f'filter(first_name__startswith="Ab").iterator(chunk_size={PAGE_SIZE}) over {items} '
        f"recipients, {seen} matches, in {elapsed:.1f} s"
    )
    return _stream_figures("client-side filter", items, made, peak, detail)


def _stream(sandbox: Sandbox, objects: Iterator[object]) -> tuple[int, int, float, float]:
    """Count ``objects`` under tracemalloc; return the count, the requests made, the seconds
    taken and the peak memory growth in MB."""
    before = len(sandbox.requests)
    # Tracing covers the whole process, sandbox thread included; its pages are transient.
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    started = time.perf_counter()
    seen = sum(1 for _ in objects)
    elapsed = time.perf_counter() - started
    peak = (tracemalloc.get_traced_memory()[1] - baseline) / MB
    tracemalloc.stop()
    return seen, len(sandbox.requests) - before, elapsed, peak


def _stream_figures(name: str, items: int, made: int, peak: float, detail: str) -> list[Figure]:
    """The two figures of a streamed list: one request per page, and flat memory."""
    expected = math.ceil(items / PAGE_SIZE)
    return [
        Figure(
            name=f"{name}: requests",
            value=made,
            unit="requests",
            target=f"= ceil({items} / {PAGE_SIZE}) = {expected}",
            met=made == expected,
            detail=f"{detail} (traced)",
        ),
        Figure(
            name=f"{name}: peak memory growth",
            value=round(peak, 2),
            unit="MB",
            target="< 30 MB",
            met=peak < 30,
            detail="tracemalloc peak above the baseline before iterating",
        ),
    ]


def _serve_with_latency(conn: Connection, latency: float) -> None:
    """Run a sandbox that adds ``latency`` to every request until the parent says stop."""
    with Sandbox() as sandbox:
        sandbox.inject_fault(latency=latency, rate=1.0)
        conn.send((sandbox.url, sandbox.api_key))
        conn.recv()


def bench_bulk(items: int, concurrency: int, latency: float) -> list[Figure]:
    """Upserts one by one against ``bulk_upsert`` with ``latency`` seconds added per request.

    The sandbox runs in its own process, as a remote API would: in this one its request
    handling would compete with the SDK's threads for the GIL.
    """
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve_with_latency, args=(child, latency), daemon=True)
    server.start()
    try:
        url, api_key = parent.recv()
        with NotifiedByClient(api_key=api_key, base_url=url) as client:
            manager = Recipient.objects.using(client)
            started = time.perf_counter()
            for n in range(items):
                manager.create(email=f"seq{n}@example.com", first_name="S")
            sequential = time.perf_counter() - started
            started = time.perf_counter()
            summary = manager.bulk_upsert(
                ({"email": f"bulk{n}@example.com", "first_name": "B"} for n in range(items)),
                concurrency=concurrency,
            )
            parallel = time.perf_counter() - started
    finally:
        parent.send("stop")
        server.join(10)
    assert summary.ok == items, str(summary)
    speedup = sequential / parallel
    return [
        Figure(
            name=f"bulk: bulk_upsert(concurrency={concurrency}) speed-up",
            value=round(speedup, 2),
            unit="x sequential",
            target=">= 10x",
            met=speedup >= 10,
            detail=f"{items} upserts each leg, {latency * 1000:.0f} ms latency injected: "
            f"sequential {sequential:.2f} s, bulk {parallel:.2f} s",
        )
    ]


def bench_backend(sandbox: Sandbox, messages: int) -> list[Figure]:
    """Throughput of Django's send_messages through the backend over raw requests."""
    from django.conf import settings
    from django.core.mail import EmailMessage

    from notifiedby.backends import NotifiedByEmailBackend

    if not settings.configured:
        settings.configure()  # Django's defaults: EmailMessage needs a charset, nothing more
    sandbox.reset()
    backend = NotifiedByEmailBackend(api_key=sandbox.api_key, base_url=sandbox.url)
    batch = [
        EmailMessage("Hello", "<p>Hi</p>", "from@example.com", [f"to{n}@example.com"])
        for n in range(messages)
    ]
    raw = _raw_session(sandbox)
    url = f"{sandbox.url}/v1/email/send/"

    def send_raw(messages: list[EmailMessage]) -> int:
        for message in messages:
            payload = {"recipient": message.to[0], "subject": "Hello", "body": "<p>Hi</p>"}
            key = {"Idempotency-Key": uuid.uuid4().hex}  # as the backend sends
            raw.post(url, json=payload, headers=key).raise_for_status()
        return len(messages)

    legs: dict[str, Callable[[list[EmailMessage]], int]] = {
        "backend": backend.send_messages,
        "raw": send_raw,
    }
    for send in legs.values():  # warm up both paths
        send(batch[:20])
    # Alternate the legs in blocks: each send makes the sandbox's store bigger and slower.
    seconds = dict.fromkeys(legs, 0.0)
    sent = 0
    block = max(1, messages // 10)
    for low in range(0, messages, block):
        for name, send in legs.items():
            started = time.perf_counter()
            count = send(batch[low : low + block])
            seconds[name] += time.perf_counter() - started
            sent += count if name == "backend" else 0
    sdk, base = seconds["backend"], seconds["raw"]
    raw.close()
    assert sent == messages, f"the backend sent {sent} of {messages}"
    ratio = base / sdk  # throughput ratio: higher is better
    return [
        Figure(
            name="backend: send_messages throughput",
            value=round(ratio, 3),
            unit="x raw requests",
            target=">= 0.9x",
            met=ratio >= 0.9,
            detail=f"{messages} messages: backend {messages / sdk:.0f}/s, "
            f"raw {messages / base:.0f}/s",
        )
    ]


def _import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    out = subprocess.run(  # noqa: S603  # our own interpreter and a fixed statement
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return float(out)


def bench_import(runs: int) -> list[Figure]:
    """Median import time in fresh interpreters, ``import notifiedby`` over ``import requests``."""
    statements = {
        "requests": "import requests",
        "notifiedby": "import notifiedby",
        "resources": "from notifiedby import NotifiedByClient, Recipient",
    }
    times: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(runs):
        for name, statement in statements.items():  # interleaved, so disk caches favour none
            times[name].append(_import_seconds(statement))
    ms = {name: statistics.median(values) * 1000 for name, values in times.items()}
    ratio = ms["notifiedby"] / ms["requests"]
    full = ms["resources"] / ms["requests"]
    return [
        Figure(
            name="import notifiedby",
            value=round(ratio, 3),
            unit="x import requests",
            target="< 1.5x",
            met=ratio < 1.5,
            detail=f"{ms['notifiedby']:.1f} ms vs {ms['requests']:.1f} ms, median of {runs}",
        ),
        Figure(
            name="import the client and resources",
            value=round(full, 3),
            unit="x import requests",
            target="(information)",
            met=None,
            detail=f"from notifiedby import NotifiedByClient, Recipient: {ms['resources']:.1f} ms "
            "(requests, attrs and a little of Django)",
        ),
    ]


def _pytest_seconds(folder: str, *options: str) -> float:
    started = time.perf_counter()
    subprocess.run(  # noqa: S603  # our own interpreter and fixed arguments
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options],
        cwd=folder,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def bench_pytest_startup(runs: int) -> list[Figure]:
    """What the registered pytest plugin adds to a pytest run that doesn't use it."""
    added: list[float] = []
    loading: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        with open(f"{folder}/test_one.py", "w") as file:
            file.write("def test_one():\n    pass\n")
        _pytest_seconds(folder)  # warm the disk caches for both legs
        for _ in range(runs):  # interleaved and paired: each round's difference is one sample
            without = _pytest_seconds(folder, "-p", "no:notifiedby")
            added.append(_pytest_seconds(folder) - without)
            # The same cost without the noise of two whole pytest runs: importing the plugin
            # module into an interpreter that has pytest loaded, as the entry point does.
            loading.append(
                _import_seconds(
                    "import pytest; t = time.perf_counter(); "
                    "import notifiedby.testing.pytest_plugin"
                )
            )
    ms = sorted(value * 1000 for value in loading)
    whole = sorted(value * 1000 for value in added)
    median = statistics.median(ms)
    return [
        Figure(
            name="pytest start-up, plugin registered",
            value=round(median, 1),
            unit="ms added",
            target="< 20 ms",
            met=median < 20,
            detail=f"loading the plugin after pytest: median of {runs} {median:.1f} ms "
            f"(range {ms[0]:.1f} to {ms[-1]:.1f}); a whole one-test run with vs without "
            f"-p no:notifiedby: median {statistics.median(whole):.1f} ms "
            f"(range {whole[0]:.0f} to {whole[-1]:.0f}, two ~0.5 s processes)",
        )
    ]


def _serve_sent_emails(conn: Connection, latency: float, emails: int) -> None:
    """Run a sandbox holding ``emails`` delivered emails and adding ``latency`` to every
    request; send their ids to the parent, then serve until it says stop."""
    from notifiedby.sandbox.delivery import record_email

    with Sandbox() as sandbox:
        store = sandbox.control.store
        # Seeded through the store: sending 10,000 over HTTP would measure nothing useful.
        with store.transaction():
            ids = [
                record_email(
                    store, recipient=f"user{n}@example.com", subject="Hi", content=b"{}",
                    encrypted=False, delay=0.0,
                )[0]["sqid"]
                for n in range(emails)
            ]  # fmt: skip
        sandbox.advance()
        sandbox.inject_fault(latency=latency, rate=1.0)
        conn.send((sandbox.url, sandbox.api_key, ids))
        conn.recv()


def _track_in_django(conn: Connection, url: str, api_key: str, ids: list[str], life: int) -> None:
    """In a process of its own (Django configured for the app, SQLite in a file): poll the
    due ``ids`` once, then follow ``life`` emails final within 15 minutes to the end."""
    import django
    from django.conf import settings

    folder = tempfile.mkdtemp()
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "notifiedby"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": f"{folder}/db"}},
        USE_TZ=True,
    )
    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from notifiedby.tracking.models import TrackedEmail
    from notifiedby.tracking.poller import Poller

    call_command("migrate", verbosity=0)
    now = timezone.now()
    TrackedEmail.objects.bulk_create(
        TrackedEmail(email_id=i, recipient="user@example.com", sent_at=now, next_check_at=now)
        for i in ids
    )
    with NotifiedByClient(api_key=api_key, base_url=url) as client:
        # The default concurrency; the rate cap lifted, so the figure is the poller's own.
        poller = Poller(client=client, rate=10_000.0)
        started = time.perf_counter()
        outcomes = poller.poll()
        seconds = time.perf_counter() - started
    conn.send((seconds, dict(outcomes), poller.concurrency, _lifetime_checks(life)))


def _lifetime_checks(emails: int) -> list[int]:
    """Return the status requests each of ``emails`` emails cost, their delivery spread
    evenly over the 15 minutes after sending, with a poller run every simulated minute."""
    from django.utils import timezone

    from notifiedby.sandbox.delivery import record_email
    from notifiedby.tracking.models import TrackedEmail
    from notifiedby.tracking.poller import Poller

    TrackedEmail.objects.all().delete()
    start = timezone.now()
    moment = [start]
    with Sandbox() as sandbox, NotifiedByClient(sandbox.api_key, base_url=sandbox.url) as client:
        store = sandbox.control.store
        for n in range(emails):
            row, _ = record_email(
                store, recipient=f"u{n}@example.com", subject="Hi", content=b"{}",
                encrypted=False, delay=900.0 * n / emails,
            )  # fmt: skip
            TrackedEmail.objects.create(
                email_id=row["sqid"], recipient="u@example.com", sent_at=start,
                next_check_at=start + timedelta(minutes=1),
            )  # fmt: skip
        poller = Poller(client=client, clock=lambda: moment[0], rate=10_000.0)
        for _ in range(20):
            moment[0] += timedelta(minutes=1)
            sandbox.advance(minutes=1)
            poller.poll()
    assert not TrackedEmail.objects.filter(status="pending").exists()
    return list(TrackedEmail.objects.values_list("checks", flat=True))


def bench_tracking(emails: int, latency: float, life: int) -> list[Figure]:
    """Delivery tracking: checks per second over ``emails`` due emails with ``latency``
    seconds per request, and the requests an email final within 15 minutes costs."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve_sent_emails, args=(child, latency, emails))
    server.start()
    try:
        url, api_key, ids = parent.recv()
        mine, theirs = context.Pipe()
        poller = context.Process(target=_track_in_django, args=(theirs, url, api_key, ids, life))
        poller.start()
        seconds, outcomes, concurrency, checks = mine.recv()
        poller.join(30)
    finally:
        parent.send("stop")
        server.join(10)
    assert outcomes == {"delivered": emails}, str(outcomes)
    rate = emails / seconds
    return [
        Figure(
            name=f"tracking: checks per second (concurrency={concurrency})",
            value=round(rate),
            unit="checks/s",
            target=">= 100/s (the default rate cap)",
            met=rate >= 100,
            detail=f"{emails} due emails, {latency * 1000:.0f} ms latency injected, in "
            f"{seconds:.1f} s; the rate cap lifted for the run",
        ),
        Figure(
            name="tracking: requests per email final within 15 min",
            value=max(checks),
            unit="requests (max)",
            target="<= 3",
            met=max(checks) <= 3,
            detail=f"{life} emails delivered evenly over 15 min, a poll each minute: mean "
            f"{statistics.mean(checks):.2f}",
        ),
    ]
