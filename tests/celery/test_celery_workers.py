"""End to end: real Celery workers on a Redis the tests start send through the sandbox."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from notifiedby.sandbox import Sandbox

celery = pytest.importorskip("celery", reason="the celery extra is not installed")
redis = pytest.importorskip("redis", reason="the celery extra is not installed")

#: The machine's Redis: the broker only when redis-server is not installed to start our own.
MACHINE_REDIS = "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


def _ping(url: str) -> str | None:
    """None when Redis answers at ``url``, else why not."""
    connection = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        connection.ping()
    except redis.RedisError as exc:
        return f"no Redis answers at {url}: {exc}"
    finally:
        connection.close()
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_redis(server: str, folder: Path) -> tuple[subprocess.Popen[bytes] | None, str]:
    """Start redis-server on a free loopback port; return it and its URL, or None and why not."""
    reason = ""
    # Another process may take the free port before Redis binds it: then try another.
    for attempt in range(3):
        port = _free_port()
        log = folder / f"redis-{attempt}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [
                    server, "--port", str(port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--daemonize", "no",
                    "--dir", str(folder),
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            if _ping(url) is None:
                return process, url
            time.sleep(0.05)
        _stop(process)
        output = log.read_text(errors="replace")[-500:]
        reason = f"{server} did not start on port {port} (exit {process.returncode}): {output}"
    return None, reason


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis broker the tests start, stopped after the module.

    Only when redis-server is not installed, the machine's Redis at 127.0.0.1:6379; skips,
    saying why, when there is neither. ``NOTIFIEDBY_TEST_REDIS`` names another Redis to use instead.
    """
    chosen = os.environ.get("NOTIFIEDBY_TEST_REDIS")
    if chosen:
        reason = _ping(chosen)
        if reason is not None:
            pytest.skip(f"NOTIFIEDBY_TEST_REDIS: {reason}")
        yield chosen
        return
    server = shutil.which("redis-server")
    if server is None:
        reason = _ping(MACHINE_REDIS)
        if reason is not None:
            pytest.skip(
                f"redis-server is not installed (apt-get install redis-server) and {reason}"
            )
        yield MACHINE_REDIS
        return
    process, url_or_reason = _start_redis(server, tmp_path_factory.mktemp("redis"))
    if process is None:
        pytest.skip(url_or_reason)
    try:
        yield url_or_reason
    finally:
        _stop(process)


@pytest.fixture
def worker_env(
    sandbox: Sandbox, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    connection = redis.Redis.from_url(redis_url)
    prefix = f"notifiedby-test-{uuid.uuid4().hex[:12]}:"
    env = {
        "NOTIFIEDBY_API_KEY": sandbox.api_key,
        "NOTIFIEDBY_BASE_URL": sandbox.url,
        "NOTIFIEDBY_OUTBOX_KEYS": ",".join(Fernet.generate_key().decode() for _ in range(2)),
        "NOTIFIEDBY_TEST_BROKER": redis_url,
        "NOTIFIEDBY_TEST_PREFIX": prefix,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env
    for key in connection.scan_iter(match=f"{prefix}*"):
        connection.delete(key)
    connection.close()


@pytest.fixture
def workers(worker_env: dict[str, str]) -> Iterator[Any]:
    from tests.celery.app import app

    processes = [
        subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "tests.celery.app", "worker",
                "--pool", "threads", "--concurrency", "2", "--loglevel", "WARNING",
                "--hostname", f"w{n}-{uuid.uuid4().hex[:6]}@localhost",
                "--without-gossip", "--without-mingle",
            ],
            cwd=ROOT,
            env={**os.environ, **worker_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for n in range(WORKERS)
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while len(app.control.ping(timeout=0.5)) < WORKERS:
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                errors = b"".join(
                    p.stderr.read() for p in processes if p.poll() is not None and p.stderr
                )
                pytest.fail(f"the Celery workers did not start: {errors.decode()[-2000:]}")
        yield app
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()
        app.close()


@pytest.mark.timeout(60)
def test_workers_share_the_load_and_never_send_twice(sandbox: Sandbox, workers: Any) -> None:
    from notifiedby import tasks

    sandbox.inject_fault(latency=0.05, rate=1.0)  # so both workers get a share
    sent = [
        tasks.send_email_later(recipient=f"user{n}@example.com", subject="Hi", body="<p>Hi</p>")
        for n in range(23)
    ]
    # A task delivered twice (a worker lost after sending, say) carries the same sealed
    # payload, hence the same idempotency key: the API must act once.
    token = tasks.seal_payload(
        {"recipient": "twice@example.com", "subject": "Hi", "body": "<p>Hi</p>",
         "idempotency_key": uuid.uuid4().hex}
    )  # fmt: skip
    sent.append(tasks.send_email_task.delay(token))
    again = tasks.send_email_task.delay(token)
    subscribed = tasks.subscribe_later("WELCOME_SIGNUP", "sub@example.com", flags=["queued"])
    synced = tasks.sync_recipients_later(
        ({"email": f"sync{n}@example.com", "flags": ["synced"]} for n in range(30)),
        chunk_size=10,
    )
    answers = [result.get(timeout=30) for result in [*sent, again, subscribed, *synced]]

    emails = sandbox.emails
    assert len(emails) == 24
    assert len({e.idempotency_key for e in emails}) == 24
    assert sum(e.recipient == "twice@example.com" for e in emails) == 1
    assert answers[23] == answers[24]  # the redelivery got the first send's answer
    assert {result.worker.split("@")[0][:2] for result in sent} == {"w0", "w1"}
    assert [s["recipient_email"] for s in sandbox.subscriptions] == ["sub@example.com"]
    assert sum(a["ok"] for a in answers[26:]) == 30
    synced_flags = [r["flags"] for r in sandbox.recipients if r["email"].startswith("sync")]
    assert synced_flags == [["synced"]] * 30


def test_a_payload_sealed_with_a_retired_key_still_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    from notifiedby import tasks
    from notifiedby.exceptions import NotifiedByConfigError

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("NOTIFIEDBY_OUTBOX_KEYS", old)
    token = tasks.seal_payload({"email": "a@example.com"})
    assert "a@example.com" not in token
    monkeypatch.setenv("NOTIFIEDBY_OUTBOX_KEYS", f"{new},{old}")
    assert tasks.open_payload(token) == {"email": "a@example.com"}
    monkeypatch.setenv("NOTIFIEDBY_OUTBOX_KEYS", new)
    with pytest.raises(NotifiedByConfigError, match="not sealed with any"):
        tasks.open_payload(token)
    monkeypatch.setenv("NOTIFIEDBY_OUTBOX_KEYS", "not-a-key")
    with pytest.raises(NotifiedByConfigError, match="invalid key") as info:
        tasks.seal_payload({})
    assert "not-a-key" not in str(info.value)
