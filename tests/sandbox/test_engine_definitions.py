"""Flow definitions: the step schema's checks and flows files in JSON and TOML."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

needs_tomllib = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="reading TOML needs tomllib, new in Python 3.11"
)

EMAIL = {"type": "email", "subject": "s", "body": "b"}

TOML = """
[[flows]]
trigger = "ONBOARDING"
name = "Onboarding"

[[flows.steps]]
type = "email"
subject = "Welcome, {first_name}!"
body = "<p>Hello</p>"

[[flows.steps]]
type = "wait"
until_flag = "onboarded"
days = 2

[[flows.steps]]
type = "condition"
flag = "onboarded"
if_true = "end"

[[flows.steps]]
type = "action"
action = "webhook"
url = "http://127.0.0.1:9/hook"
"""


def test_every_step_type_is_accepted(sandbox: Sandbox) -> None:
    steps: list[dict[str, Any]] = [
        {**EMAIL, "plain_body": "p", "label": "first"},
        {"type": "wait", "days": 1, "hours": 2, "minutes": 3, "seconds": 4.5},
        {"type": "wait", "until_flag": "f", "hours": 1},
        {"type": "condition", "flag": "f", "if_true": "last", "if_false": 5},
        {"type": "action", "action": "set_flag", "flag": "f"},
        {"type": "action", "action": "clear_flag", "flag": "f"},
        {"type": "action", "action": "suppress"},
        {"type": "action", "action": "webhook", "url": "https://example.com/h", "label": "last"},
    ]

    defined = sandbox.define_flow("ALL", steps=steps)

    assert defined == {"trigger": "ALL", "name": "All Flow", "steps": steps}


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([{"subject": "s"}], "step 1 needs a 'type', one of email, wait, condition, action"),
        ([{"type": "email", "body": "b"}], "step 1 (email): 'subject' must be a non-empty string"),
        ([EMAIL, {"type": "email", "subject": "s", "body": ""}], "step 2 (email): 'body'"),
        ([{**EMAIL, "subjet": "x"}], "step 1 (email): unknown field 'subjet'; its fields are"),
        ([{"type": "wait"}], "step 1 (wait): needs a duration: give days, hours, minutes"),
        ([{"type": "wait", "days": -1}], "step 1 (wait): 'days' must be a number >= 0"),
        ([{"type": "wait", "hours": "2"}], "step 1 (wait): 'hours' must be a number >= 0"),
        ([{"type": "wait", "days": 1e12}], "step 1 (wait): 'days' is more than 36500 days"),
        (
            [{"type": "wait", "seconds": float("nan")}],
            "step 1 (wait): 'seconds' must be a number >= 0",
        ),
        (
            [{"type": "wait", "days": 36500, "hours": 1}],
            "step 1 (wait): waits at most 36500 days",
        ),
        ([{"type": "wait", "until_flag": "f"}], "step 1 (wait): needs a timeout"),
        ([{"type": "condition"}], "step 1 (condition): 'flag' must be a non-empty string"),
        (
            [{"type": "condition", "flag": "f", "if_true": "nowhere"}],
            "step 1 (condition): 'if_true' is 'nowhere', which is not one of 'next', 'end'",
        ),
        (
            [{**EMAIL, "label": "top"}, {"type": "condition", "flag": "f", "if_false": "top"}],
            "step 2 (condition): 'if_false' must jump forward, to a step from 3 to 2",
        ),
        (
            [{"type": "condition", "flag": "f", "if_true": 7}, EMAIL],
            "step 1 (condition): 'if_true' must jump forward, to a step from 2 to 2",
        ),
        (
            [{"type": "condition", "flag": "f", "if_true": 1.5}],
            "step 1 (condition): 'if_true' must be 'next', 'end'",
        ),
        ([{"type": "action"}], "step 1 (action): 'action' must be one of set_flag, clear_flag"),
        ([{"type": "action", "action": "set_flag"}], "step 1 (action): 'flag' must be"),
        ([{"type": "action", "action": "webhook"}], "step 1 (action): 'url' must be"),
        (
            [{"type": "action", "action": "webhook", "url": "ftp://x/y"}],
            "step 1 (action): 'url' must be an http:// or https:// URL",
        ),
        ([{**EMAIL, "label": "a"}, {**EMAIL, "label": "a"}], "step 2: the label 'a' is already"),
        ([{**EMAIL, "label": "end"}], "step 1: 'label' must be a non-empty string other than"),
        ("steps", "steps must be a list of step objects"),
    ],
)
def test_bad_steps_name_the_step_and_field(sandbox: Sandbox, steps: Any, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        sandbox.define_flow("BAD", steps=steps)

    assert "BAD" not in {flow["trigger"] for flow in sandbox.flows}


def test_bad_steps_over_http_are_400_with_the_reason(control: Api) -> None:
    response = control.post(
        "/_sandbox/flows/", json={"trigger": "BAD", "steps": [{"type": "wait", "weeks": 1}]}
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("step 1 (wait): unknown field 'weeks'")


@needs_tomllib
def test_flows_file_in_toml(tmp_path: Path, api: Api, sandbox: Sandbox) -> None:
    path = tmp_path / "flows.toml"
    path.write_text(TOML)

    loaded = sandbox.load_flows(path)

    assert [flow["trigger"] for flow in loaded] == ["ONBOARDING"]
    [flow] = [f for f in sandbox.flows if f["trigger"] == "ONBOARDING"]
    assert flow["name"] == "Onboarding"
    assert [step["type"] for step in flow["steps"]] == ["email", "wait", "condition", "action"]
    assert api.subscribe("a@b.co", "ONBOARDING")


def test_flows_file_in_json(tmp_path: Path, sandbox: Sandbox) -> None:
    path = tmp_path / "flows.json"
    flows = [{"trigger": "ONE", "steps": [EMAIL]}, {"trigger": "TWO", "name": "Two", "steps": []}]
    path.write_text(json.dumps({"flows": flows}))

    sandbox.load_flows(str(path))

    names = {flow["trigger"]: flow["name"] for flow in sandbox.flows}
    assert (names["ONE"], names["TWO"]) == ("One Flow", "Two")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("f.json", "{", "f.json: not valid JSON"),
        pytest.param("f.toml", "flows = [", "f.toml: not valid TOML", marks=needs_tomllib),
        ("f.yaml", "flows: []", "f.yaml: a flows file ends in .json or .toml"),
        ("f.json", "[]", "f.json: expected one top-level 'flows', a list of flows"),
        ("f.json", '{"flows": [], "extra": 1}', "f.json: expected one top-level 'flows'"),
        ("f.json", '{"flows": [{"name": "x"}]}', "f.json: flow 1 needs a 'trigger'"),
        ("f.json", '{"flows": [{"trigger": "T", "nme": "x"}]}', "f.json: flow 'T': unknown"),
        ("f.json", '{"flows": [{"trigger": "T", "name": 5}]}', "f.json: flow 'T': 'name' must"),
        (
            "f.json",
            '{"flows": [{"trigger": "T", "steps": [{"type": "wait"}]}]}',
            "f.json: flow 'T': step 1 (wait): needs a duration",
        ),
    ],
)
def test_bad_flows_files_say_where(
    tmp_path: Path, sandbox: Sandbox, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)

    with pytest.raises(ValueError, match=re.escape(message)) as error:
        sandbox.load_flows(path)

    assert str(error.value).startswith(str(tmp_path))


def test_a_bad_flow_in_a_file_defines_none(tmp_path: Path, sandbox: Sandbox) -> None:
    path = tmp_path / "flows.json"
    good = {"trigger": "GOOD", "steps": [EMAIL]}
    path.write_text(json.dumps({"flows": [good, {"trigger": "BAD", "steps": [{}]}]}))

    with pytest.raises(ValueError, match="flow 'BAD': step 1 needs a 'type'"):
        sandbox.load_flows(path)

    assert "GOOD" not in {flow["trigger"] for flow in sandbox.flows}


def test_toml_on_python_3_10_says_what_to_do(
    tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "flows.toml"
    path.write_text(TOML)
    monkeypatch.setattr(sys, "version_info", (3, 10, 14))

    with pytest.raises(ValueError, match=r"needs Python 3\.11 or later; use a JSON file"):
        sandbox.load_flows(path)


def test_a_missing_file_is_an_os_error(tmp_path: Path, sandbox: Sandbox) -> None:
    with pytest.raises(FileNotFoundError):
        sandbox.load_flows(tmp_path / "nope.json")
