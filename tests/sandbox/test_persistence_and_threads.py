"""State kept in a SQLite file across restarts, the state views, and concurrent clients."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

MESSAGE = {"recipient": "ann@example.com", "subject": "s", "body": "<p>b</p>"}


def test_everything_survives_a_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "s.sqlite3")
    with Sandbox(api_keys=["k"], data=data) as first:
        api = Api(first.url, "k")
        api.upsert("keep@example.com", first_name="Keep", flags=["vip"])
        sent = api.post("/v1/email/send/", json=MESSAGE, headers={"Idempotency-Key": "once"})
        api.subscribe("keep@example.com")
        api.close()
        first.define_flow("CUSTOM", name="Custom", steps=[{"type": "wait", "days": 1}])
        first.block("blocked@example.com")
        first.set_daily_limit(1)

    with Sandbox(api_keys=["k"], data=data) as second:
        api = Api(second.url, "k")
        replay = api.post("/v1/email/send/", json=MESSAGE, headers={"Idempotency-Key": "once"})
        custom = api.post(
            "/v1/flows/subscribe/", json={"flow_trigger": "CUSTOM", "email": "x@example.com"}
        )
        over_limit = api.post("/v1/email/send/", json=MESSAGE)
        second.set_daily_limit(None)
        blocked = api.post("/v1/email/send/", json={**MESSAGE, "recipient": "blocked@example.com"})
        recipients = second.recipients
        subscriptions = second.subscriptions
        emails = second.emails
        api.close()

    assert replay.json() == sent.json()
    assert custom.status_code == 201
    assert blocked.json()["error"] == "Recipient is blocked"
    assert over_limit.status_code == 429
    keep = next(r for r in recipients if r["email"] == "keep@example.com")
    assert (keep["first_name"], keep["flags"]) == ("Keep", ["vip"])
    assert [s["flow_trigger"] for s in subscriptions] == ["WELCOME_SIGNUP", "CUSTOM"]
    assert emails[0].id == sent.json()["id"]
    assert len(emails) == 2


def test_state_views_match_the_api(api: Api, sandbox: Sandbox) -> None:
    api.upsert("a@b.co", first_name="A", flags=["f"])
    api.subscribe("a@b.co")

    assert sandbox.recipients == api.get("/v1/recipients/").json()["results"]
    assert sandbox.subscriptions == api.get("/v1/flows/subscriptions/").json()["results"]


def _send_from_own_session(url: str, key: str, n: int) -> list[str]:
    client = Api(url, key)
    try:
        return [client.send(f"user{n}@example.com", subject=f"s{i}") for i in range(5)]
    finally:
        client.close()


def test_concurrent_clients(sandbox: Sandbox) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [
            pool.submit(_send_from_own_session, sandbox.url, sandbox.api_key, n) for n in range(8)
        ]
        ids = [sqid for future in futures for sqid in future.result()]

    assert len(set(ids)) == 40
    assert len(sandbox.emails) == 40
    assert len(sandbox.recipients) == 8
    assert len({r.connection_id for r in sandbox.requests}) == 8


def test_concurrent_subscribes_to_one_flow_make_one_subscription(sandbox: Sandbox) -> None:
    def subscribe(_: int) -> int:
        client = Api(sandbox.url, sandbox.api_key)
        try:
            return client.post(
                "/v1/flows/subscribe/",
                json={"flow_trigger": "WELCOME_SIGNUP", "email": "race@example.com"},
            ).status_code
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(subscribe, range(6)))

    assert statuses == [201, 400, 400, 400, 400, 400]
    assert len(sandbox.subscriptions) == 1
