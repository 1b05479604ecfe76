"""The flow engine: every step type and branch, the clock, unsubscribing and renewing."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

UNSUBSCRIBE = "/v1/flows/unsubscribe/"


def _when(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _subscription(sandbox: Sandbox, subscription_id: int) -> dict[str, Any]:
    [found] = [s for s in sandbox.subscriptions if s["id"] == subscription_id]
    return found


def _subjects(sandbox: Sandbox, recipient: str | None = None) -> list[str]:
    return [e.subject for e in sandbox.emails if recipient in (None, e.recipient)]


def _flags(api: Api, email: str) -> list[str]:
    [recipient] = api.get("/v1/recipients/", params={"email": email}).json()["results"]
    flags: list[str] = recipient["flags"]
    return flags


def _set_flag(api: Api, email: str, flag: str) -> None:
    response = api.post("/v1/recipients/flags/set/", json={"email": email, "flags": [flag]})
    assert response.status_code == 200


DRIP: list[dict[str, Any]] = [
    {"type": "email", "subject": "Welcome, {first_name}!", "body": "<p>Hi {first_name}</p>"},
    {"type": "wait", "days": 2},
    {"type": "email", "subject": "Tips", "body": "<p>Tips</p>"},
]


def test_a_new_subscription_waits_for_the_clock(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("DRIP", steps=DRIP)
    subscription_id = api.subscribe("ann@example.com", "DRIP")

    before = _subscription(sandbox, subscription_id)
    assert (before["status"], before["current_step_order"]) == ("active", 1)
    assert _when(before["next_send_date"]) <= sandbox.now
    assert sandbox.emails == []


def test_steps_run_in_order_as_the_clock_moves(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("DRIP", steps=DRIP)
    api.post(
        "/v1/flows/subscribe/",
        json={"flow_trigger": "DRIP", "email": "ann@example.com", "first_name": "Ann"},
    )
    start = sandbox.now

    sandbox.advance()
    waiting = sandbox.subscriptions[0]
    sandbox.advance(days=1, hours=23)
    still = sandbox.subscriptions[0]
    sandbox.advance(hours=1)
    done = sandbox.subscriptions[0]

    assert (waiting["status"], waiting["current_step_order"]) == ("active", 2)
    assert _when(waiting["next_send_date"]) - start == pytest.approx(
        timedelta(days=2), abs=timedelta(seconds=1)
    )
    assert still["current_step_order"] == 2
    assert (done["status"], done["current_step_order"], done["next_send_date"]) == (
        "completed",
        3,
        None,
    )
    first, second = sandbox.emails
    assert (first.subject, first.body, first.flow_trigger) == (
        "Welcome, Ann!",
        "<p>Hi Ann</p>",
        "DRIP",
    )
    assert second.subject == "Tips"
    assert second.created_on - first.created_on == pytest.approx(
        timedelta(days=2), abs=timedelta(seconds=1)
    )
    listed = api.get("/v1/email/list/", params={"recipient": "ann@example.com"}).json()
    assert [item["subject"] for item in listed["results"]] == ["Tips", "Welcome, Ann!"]


def test_names_are_rendered_and_escaped_in_html(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow(
        "HI",
        steps=[
            {
                "type": "email",
                "subject": "{first_name} {last_name}",
                "body": "<p>{first_name} {last_name} {unknown}</p>",
                "plain_body": "Dear {first_name}",
            }
        ],
    )
    api.upsert("a@b.co", first_name="<Al>", last_name="O'Neil")
    api.subscribe("a@b.co", "HI")

    sandbox.advance()

    [email] = sandbox.emails
    assert email.subject == "<Al> O'Neil"
    assert email.body == "<p>&lt;Al&gt; O&#x27;Neil {unknown}</p>"
    assert email.plain_body == "Dear <Al>"
    assert (email.first_name, email.last_name) == ("<Al>", "O'Neil")


@pytest.mark.parametrize(("flagged", "expected"), [(True, ["Yes"]), (False, ["No"])])
def test_condition_branches(api: Api, sandbox: Sandbox, flagged: bool, expected: list[str]) -> None:
    sandbox.define_flow(
        "BRANCH",
        steps=[
            {"type": "condition", "flag": "vip", "if_true": "yes", "if_false": "next"},
            {"type": "email", "subject": "No", "body": "n"},
            {"type": "condition", "flag": "vip", "if_true": "end", "if_false": "end"},
            {"type": "email", "subject": "Yes", "body": "y", "label": "yes"},
        ],
    )
    api.upsert("a@b.co", flags=["vip"] if flagged else [])
    api.subscribe("a@b.co", "BRANCH")

    sandbox.advance()

    assert _subjects(sandbox) == expected
    [subscription] = sandbox.subscriptions
    assert subscription["status"] == "completed"
    assert subscription["current_step_order"] == (4 if flagged else 3)


def test_condition_branches_by_step_number_and_defaults_to_next(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow(
        "NUMBERS",
        steps=[
            {"type": "condition", "flag": "vip"},
            {"type": "condition", "flag": "vip", "if_false": 4},
            {"type": "email", "subject": "Skipped", "body": "s"},
            {"type": "email", "subject": "Reached", "body": "r"},
        ],
    )
    api.subscribe("a@b.co", "NUMBERS")

    sandbox.advance()

    assert _subjects(sandbox) == ["Reached"]


def test_set_and_clear_flag_actions(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow(
        "FLAGS",
        steps=[
            {"type": "action", "action": "set_flag", "flag": "welcomed"},
            {"type": "action", "action": "clear_flag", "flag": "trial"},
            {"type": "wait", "hours": 1},
            {"type": "action", "action": "clear_flag", "flag": "welcomed"},
        ],
    )
    api.upsert("a@b.co", flags=["trial", "keep"])
    api.subscribe("a@b.co", "FLAGS")

    sandbox.advance()
    midway = _flags(api, "a@b.co")
    sandbox.advance(hours=1)

    assert midway == ["keep", "welcomed"]
    assert _flags(api, "a@b.co") == ["keep"]


def test_suppress_blocks_the_recipient(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow(
        "SUPPRESS",
        steps=[
            {"type": "action", "action": "suppress"},
            {"type": "email", "subject": "Never delivered", "body": "x"},
        ],
    )
    api.subscribe("a@b.co", "SUPPRESS")

    sandbox.advance()

    [email] = sandbox.emails
    assert (email.status, email.blocked) == ("failed", True)
    sent = api.post("/v1/email/send/", json={"recipient": "a@b.co", "subject": "s", "body": "b"})
    assert sent.json()["error"] == "Recipient is blocked"


WAIT_FOR_FLAG: list[dict[str, Any]] = [
    {"type": "wait", "until_flag": "onboarded", "days": 3},
    {"type": "condition", "flag": "onboarded", "if_true": "end"},
    {"type": "email", "subject": "Need a hand?", "body": "<p>Help</p>"},
]


def test_wait_until_flag_goes_on_when_the_flag_is_set(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("ONBOARD", steps=WAIT_FOR_FLAG)
    subscription_id = api.subscribe("a@b.co", "ONBOARD")
    sandbox.advance(days=1)
    assert _subscription(sandbox, subscription_id)["current_step_order"] == 1

    _set_flag(api, "a@b.co", "onboarded")
    sandbox.advance()

    finished = _subscription(sandbox, subscription_id)
    assert (finished["status"], finished["current_step_order"]) == ("completed", 2)
    assert sandbox.emails == []


def test_wait_until_flag_times_out(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("ONBOARD", steps=WAIT_FOR_FLAG)
    subscription_id = api.subscribe("a@b.co", "ONBOARD")

    sandbox.advance(days=2, hours=23)
    waiting = _subscription(sandbox, subscription_id)
    sandbox.advance(hours=1)

    assert waiting["current_step_order"] == 1
    assert _subjects(sandbox) == ["Need a hand?"]
    assert _subscription(sandbox, subscription_id)["status"] == "completed"


def test_wait_until_flag_already_set_goes_on_at_once(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("ONBOARD", steps=WAIT_FOR_FLAG)
    api.upsert("a@b.co", flags=["onboarded"])
    api.subscribe("a@b.co", "ONBOARD")

    sandbox.advance()

    assert sandbox.subscriptions[0]["status"] == "completed"


def test_events_run_in_time_order_across_subscriptions(api: Api, sandbox: Sandbox) -> None:
    # One flow sets a flag after a day; another waits up to three days for it. Advancing five
    # days at once must let the waiting one go on at day one, not time out at day three.
    sandbox.define_flow(
        "SETTER",
        steps=[
            {"type": "wait", "days": 1},
            {"type": "action", "action": "set_flag", "flag": "onboarded"},
        ],
    )
    sandbox.define_flow(
        "WAITER",
        steps=[
            {"type": "wait", "until_flag": "onboarded", "days": 3},
            {"type": "email", "subject": "After the wait", "body": "x"},
        ],
    )
    api.subscribe("a@b.co", "WAITER")
    api.subscribe("a@b.co", "SETTER")
    start = sandbox.now

    sandbox.advance(days=5)

    [email] = sandbox.emails
    assert email.created_on - start == pytest.approx(timedelta(days=1), abs=timedelta(seconds=1))


def test_many_subscriptions_advance_in_due_order(api: Api, sandbox: Sandbox) -> None:
    for hours in (5, 1, 3):
        sandbox.define_flow(
            f"AFTER_{hours}",
            steps=[
                {"type": "wait", "hours": hours},
                {"type": "email", "subject": f"after {hours}h", "body": "x"},
            ],
        )
    for index in range(12):
        api.subscribe(f"user{index}@example.com", f"AFTER_{(1, 3, 5)[index % 3]}")

    sandbox.advance(days=1)

    subjects = _subjects(sandbox)
    assert subjects == sorted(subjects, key=lambda s: int(s.split()[1][:-1]))
    assert len(subjects) == 12
    times = [e.created_on for e in sandbox.emails]
    assert times == sorted(times)
    assert {s["status"] for s in sandbox.subscriptions} == {"completed"}


def test_unsubscribe_mid_flow_stops_it(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("DRIP", steps=DRIP)
    subscription_id = api.subscribe("a@b.co", "DRIP")
    sandbox.advance()

    api.post(UNSUBSCRIBE, json={"flow_trigger": "DRIP", "email": "a@b.co"})
    sandbox.advance(days=5)

    cancelled = _subscription(sandbox, subscription_id)
    assert (cancelled["status"], cancelled["current_step_order"]) == ("cancelled", 2)
    assert cancelled["next_send_date"] is None
    assert _subjects(sandbox) == ["Welcome, !"]


def test_resubscribe_after_completion_runs_again(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("DRIP", steps=DRIP)
    first = api.subscribe("a@b.co", "DRIP")
    sandbox.advance(days=3)

    second = api.subscribe("a@b.co", "DRIP")
    sandbox.advance(days=3)

    assert first != second
    assert _subscription(sandbox, first)["status"] == "completed"
    assert _subscription(sandbox, second)["status"] == "completed"
    assert _subjects(sandbox) == ["Welcome, !", "Tips", "Welcome, !", "Tips"]


def test_a_flow_redefined_shorter_completes_its_subscriptions(api: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("DRIP", steps=DRIP)
    api.subscribe("a@b.co", "DRIP")
    sandbox.advance()
    sandbox.define_flow("DRIP", steps=[DRIP[0]])

    sandbox.advance(days=3)

    assert sandbox.subscriptions[0]["status"] == "completed"
    assert _subjects(sandbox) == ["Welcome, !"]


def test_example_welcome_flow_skips_tips_for_onboarded(api: Api, sandbox: Sandbox) -> None:
    api.subscribe("new@example.com")
    api.subscribe("done@example.com")
    sandbox.advance()
    _set_flag(api, "done@example.com", "onboarded")

    sandbox.advance(days=2)

    assert _subjects(sandbox, "new@example.com") == ["Welcome, !", "Three tips to get started"]
    assert _subjects(sandbox, "done@example.com") == ["Welcome, !"]


def test_the_clock_over_http(api: Api, control: Api, sandbox: Sandbox) -> None:
    sandbox.define_flow("DRIP", steps=DRIP)
    api.subscribe("a@b.co", "DRIP")
    before = control.get("/_sandbox/clock/").json()

    moved = control.post("/_sandbox/clock/", json={"days": 1, "hours": 23, "minutes": 59})
    again = control.post("/_sandbox/clock/", json={"seconds": 60})

    assert before["offset_seconds"] == pytest.approx(0, abs=1)
    assert moved.status_code == 200
    assert moved.json()["offset_seconds"] == pytest.approx(2 * 86400 - 60, abs=1)
    assert _when(moved.json()["now"]) - _when(before["now"]) >= timedelta(days=2) - timedelta(
        minutes=1
    )
    assert again.json()["offset_seconds"] == pytest.approx(2 * 86400, abs=1)
    assert _subjects(sandbox) == ["Welcome, !", "Tips"]
    assert control.get("/_sandbox/state/").json()["clock"]["offset_seconds"] > 0


@pytest.mark.parametrize(
    "payload",
    [{"days": -1}, {"hours": "two"}, {"weeks": 1}, {"seconds": True}, {"days": 1e12}],
    ids=["negative", "not-a-number", "unknown-field", "boolean", "too-far"],
)
def test_clock_bad_input_is_400(control: Api, payload: dict[str, Any]) -> None:
    response = control.post("/_sandbox/clock/", json=payload)

    assert response.status_code == 400
    assert response.json()["detail"]


def test_the_clock_never_goes_back(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="number >= 0"):
        sandbox.advance(hours=-1)


def test_reset_sets_the_clock_back(control: Api, sandbox: Sandbox) -> None:
    sandbox.advance(days=10)

    control.post("/_sandbox/reset/")

    assert control.get("/_sandbox/clock/").json()["offset_seconds"] == pytest.approx(0, abs=1)


def test_the_clock_and_schedules_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "state.sqlite3"
    with Sandbox(data=data) as first:
        first.define_flow("DRIP", steps=DRIP)
        api = Api(first.url, first.api_key)
        api.subscribe("a@b.co", "DRIP")
        api.close()
        first.advance(days=1)

    with Sandbox(data=data) as second:
        ahead = second.control.clock()["offset_seconds"]
        second.advance(days=1)
        subjects = _subjects(second)

    assert ahead == pytest.approx(86400, abs=5)
    assert subjects == ["Welcome, !", "Tips"]
