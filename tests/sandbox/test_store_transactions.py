"""The store: one transaction per API call, a private data file, scrypt outside the lock."""

from __future__ import annotations

import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from notifiedby.sandbox import Sandbox, control, crypto, handlers
from notifiedby.sandbox.store import Store
from tests.sandbox.conftest import Api

MESSAGE = {"recipient": "ann@example.com", "subject": "s", "body": "<p>b</p>"}
ENCRYPTION_KEY = "customer-secret-key-5e1b"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_file_and_its_journal_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    store = Store(str(path))
    try:
        with store.transaction():
            store.block("a@example.com")
            journal = tmp_path / "s.sqlite3-journal"
            assert journal.exists()
            assert _mode(journal) == 0o600
    finally:
        store.close()

    assert _mode(path) == 0o600


def test_an_existing_data_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    path.touch()
    path.chmod(0o640)

    with Sandbox(data=path):
        pass

    assert _mode(path) == 0o640


def test_a_failed_transaction_leaves_nothing_and_the_next_one_works(tmp_path: Path) -> None:
    path = str(tmp_path / "s.sqlite3")
    store = Store(path)

    def fail_midway() -> None:
        with store.transaction():
            store.block("a@example.com")
            with store.transaction():  # an inner one joins the outer one, and goes with it
                store.upsert_recipient("a@example.com")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_midway()
    with store.transaction():
        store.block("b@example.com")
    store.close()

    reopened = Store(path)
    try:
        assert reopened.blocked() == ["b@example.com"]
        assert reopened.recipients() == []
    finally:
        reopened.close()


def test_an_email_is_stored_only_with_its_idempotency_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "s.sqlite3"
    real_remember = Store.remember

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk gone")

    with Sandbox(api_keys=["k"], data=data) as sandbox:
        api = Api(sandbox.url, "k", check=False)
        monkeypatch.setattr(Store, "remember", fail)
        failed = api.post("/v1/email/send/", json=MESSAGE, headers={"Idempotency-Key": "k1"})
        assert sandbox.emails == []
        assert sandbox.recipients == []
        monkeypatch.setattr(Store, "remember", real_remember)
        sent = api.post("/v1/email/send/", json=MESSAGE, headers={"Idempotency-Key": "k1"})
        replay = api.post("/v1/email/send/", json=MESSAGE, headers={"Idempotency-Key": "k1"})
        api.close()
    with Sandbox(api_keys=["k"], data=data) as again:
        emails = again.emails

    assert failed.status_code == 500
    assert sent.status_code == 200
    assert replay.json() == sent.json()
    assert [email.id for email in emails] == [sent.json()["id"]]


def _is_held(lock: threading.RLock) -> bool:
    """True when some thread holds ``lock``: another thread tries to take it."""
    taken: list[bool] = []

    def probe() -> None:
        taken.append(lock.acquire(blocking=False))
        if taken[0]:
            lock.release()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return not taken[0]


def test_sealing_and_opening_run_without_the_store_lock(
    api: Api, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    lock = sandbox.control.store.lock
    locked: list[tuple[str, bool]] = []

    def seal(key: str, plaintext: bytes) -> bytes:
        locked.append(("seal", _is_held(lock)))
        return crypto.seal(key, plaintext)

    def open_sealed(key: str, blob: bytes) -> bytes:
        locked.append(("open", _is_held(lock)))
        return crypto.open_sealed(key, blob)

    monkeypatch.setattr(handlers, "seal", seal)
    monkeypatch.setattr(control, "open_sealed", open_sealed)
    headers = {"Encryption-Key": ENCRYPTION_KEY}

    sqid = api.post("/v1/email/send/", json=MESSAGE, headers=headers).json()["id"]
    detail = api.get(f"/v1/email/detail/{sqid}/", headers=headers)
    sandbox.encryption_keys = [ENCRYPTION_KEY]
    [email] = sandbox.emails

    assert detail.json()["body"] == email.body == MESSAGE["body"]
    assert locked == [("seal", False), ("open", False), ("open", False)]


def test_concurrent_encrypted_sends_with_one_key_make_one_email(sandbox: Sandbox) -> None:
    def send(_: int) -> str:
        client = Api(sandbox.url, sandbox.api_key)
        try:
            response = client.post(
                "/v1/email/send/",
                json=MESSAGE,
                headers={"Idempotency-Key": "once", "Encryption-Key": ENCRYPTION_KEY},
            )
            assert response.status_code == 200, response.text
            sqid: str = response.json()["id"]
            return sqid
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = set(pool.map(send, range(4)))

    assert len(ids) == 1
    assert [email.id for email in sandbox.emails] == list(ids)


def test_a_refused_send_is_remembered_under_its_idempotency_key(api: Api) -> None:
    bad = {**MESSAGE, "recipient": "not-an-address"}

    first = api.post("/v1/email/send/", json=bad, headers={"Idempotency-Key": "bad"})
    again = api.post("/v1/email/send/", json=MESSAGE, headers={"Idempotency-Key": "bad"})

    assert first.status_code == again.status_code == 400
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
