"""Flow definitions: the step schema, its checks, and reading flows from a JSON or TOML file.

A flow is ``{"trigger", "name", "steps"}``; each step is a dict with a ``type``:

- ``email``: ``subject`` and ``body`` (HTML), optional ``plain_body``; ``{first_name}`` and
  ``{last_name}`` in them become the recipient's names.
- ``wait``: a duration (``days``, ``hours``, ``minutes``, ``seconds``, any mix); with
  ``until_flag`` it ends early when the recipient gets that flag, the duration being the timeout.
- ``condition``: ``flag``, and where to go ``if_true`` and ``if_false``: ``"next"`` (the
  default), ``"end"``, a later step's ``label``, or a later step's number (1-based).
- ``action``: ``action`` is ``set_flag`` or ``clear_flag`` (with ``flag``), ``suppress``
  (block the recipient's address) or ``webhook`` (POST JSON to ``url``).

Any step may carry a ``label`` for conditions to jump to. Jumps go forward only, so every
flow ends. Step numbers in messages are 1-based, as ``current_step_order`` is.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "ACTIONS",
    "MAX_WAIT",
    "STEP_TYPES",
    "check_steps",
    "duration",
    "is_amount",
    "labels",
    "load_flows",
    "render",
    "target_step",
]

STEP_TYPES = ("email", "wait", "condition", "action")
ACTIONS = ("set_flag", "clear_flag", "suppress", "webhook")
DURATION_FIELDS = ("days", "hours", "minutes", "seconds")
_FIELDS: dict[str, tuple[str, ...]] = {
    "email": ("subject", "body", "plain_body"),
    "wait": (*DURATION_FIELDS, "until_flag"),
    "condition": ("flag", "if_true", "if_false"),
    "action": ("action", "flag", "url"),
}
_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}
#: The longest wait a step may have.
MAX_WAIT = timedelta(days=36500)
_KEYWORDS = ("next", "end")
_PLACEHOLDER = re.compile(r"\{(first_name|last_name)\}")


def is_amount(value: object) -> bool:
    """True for a finite number >= 0 (and not a bool, which Python counts as a number)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value >= 0
    )


def duration(step: Mapping[str, Any]) -> timedelta:
    """Return how long a wait step lasts (its timeout, when it waits for a flag)."""
    return timedelta(**{name: step.get(name, 0) for name in DURATION_FIELDS})


def render(
    template: str, names: Mapping[str, str], *, escape: Callable[[str], str] | None = None
) -> str:
    """Fill ``{first_name}`` and ``{last_name}``; other braces stay as written.

    ``escape`` (such as ``html.escape``) is applied to each name before it goes in.
    """

    def fill(match: re.Match[str]) -> str:
        value = names.get(match.group(1), "")
        return escape(value) if escape else value

    return _PLACEHOLDER.sub(fill, template)


def labels(steps: list[dict[str, Any]]) -> dict[str, int]:
    """Map each step label to its step number."""
    return {step["label"]: number for number, step in enumerate(steps, 1) if "label" in step}


def target_step(value: Any, steps: list[dict[str, Any]], number: int) -> int | None:
    """Resolve a condition's branch to a step number; None means the flow ends there."""
    if value == "end":
        return None
    if value == "next":
        return number + 1
    if isinstance(value, str):
        return labels(steps)[value]
    step: int = value
    return step


def _text(step: Mapping[str, Any], field: str, where: str, *, required: bool = True) -> None:
    value = step.get(field)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: '{field}' must be a non-empty string")


def _check_target(steps: list[dict[str, Any]], number: int, field: str, where: str) -> None:
    value = steps[number - 1].get(field, "next")
    known = labels(steps)
    if isinstance(value, str) and value not in (*_KEYWORDS, *known):
        names = ", ".join(["'next'", "'end'", *(repr(label) for label in known)])
        raise ValueError(f"{where}: '{field}' is {value!r}, which is not one of {names}")
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValueError(f"{where}: '{field}' must be 'next', 'end', a step label or number")
    target = target_step(value, steps, number)
    if target is not None and value != "next" and not number < target <= len(steps):
        raise ValueError(
            f"{where}: '{field}' must jump forward, to a step from {number + 1} to {len(steps)}"
        )


def _check_step(steps: list[dict[str, Any]], number: int) -> None:
    step = steps[number - 1]
    kind = step["type"]
    where = f"step {number} ({kind})"
    unknown = set(step) - {"type", "label", *_FIELDS[kind]}
    if unknown:
        fields = ", ".join(("label", *_FIELDS[kind]))
        raise ValueError(f"{where}: unknown field {sorted(unknown)[0]!r}; its fields are {fields}")
    if kind == "email":
        _text(step, "subject", where)
        _text(step, "body", where)
        _text(step, "plain_body", where, required=False)
    elif kind == "wait":
        for name in DURATION_FIELDS:
            value = step.get(name, 0)
            if not is_amount(value):
                raise ValueError(f"{where}: '{name}' must be a number >= 0")
            # The cap keeps every schedule inside what a datetime can hold.
            if value * _SECONDS[name] > MAX_WAIT.total_seconds():
                raise ValueError(f"{where}: '{name}' is more than {MAX_WAIT.days} days")
        _text(step, "until_flag", where, required=False)
        if duration(step) > MAX_WAIT:
            raise ValueError(f"{where}: waits at most {MAX_WAIT.days} days")
        if duration(step) <= timedelta(0):
            what = "a timeout" if "until_flag" in step else "a duration"
            raise ValueError(f"{where}: needs {what}: give days, hours, minutes or seconds")
    elif kind == "condition":
        _text(step, "flag", where)
        _check_target(steps, number, "if_true", where)
        _check_target(steps, number, "if_false", where)
    else:
        if step.get("action") not in ACTIONS:
            raise ValueError(f"{where}: 'action' must be one of {', '.join(ACTIONS)}")
        if step["action"] in ("set_flag", "clear_flag"):
            _text(step, "flag", where)
        if step["action"] == "webhook":
            _text(step, "url", where)
            if urlsplit(step["url"]).scheme not in ("http", "https"):
                raise ValueError(f"{where}: 'url' must be an http:// or https:// URL")


def check_steps(steps: Any) -> list[dict[str, Any]]:
    """Return the steps if they make a valid flow; else raise ValueError naming step and field."""
    if not isinstance(steps, list):
        raise ValueError("steps must be a list of step objects")
    seen: set[str] = set()
    for number, step in enumerate(steps, 1):
        if not isinstance(step, dict) or step.get("type") not in STEP_TYPES:
            raise ValueError(f"step {number} needs a 'type', one of {', '.join(STEP_TYPES)}")
        label = step.get("label")
        if label is not None:
            if not isinstance(label, str) or not label.strip() or label in _KEYWORDS:
                msg = f"step {number}: 'label' must be a non-empty string other than next or end"
                raise ValueError(msg)
            if label in seen:
                raise ValueError(f"step {number}: the label {label!r} is already used")
            seen.add(label)
    for number in range(1, len(steps) + 1):
        _check_step(steps, number)
    return steps


def _read(path: Path) -> Any:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".json":
        try:
            return json.loads(text)
        except ValueError as error:
            raise ValueError(f"{path}: not valid JSON: {error}") from None
    if suffix != ".toml":
        raise ValueError(f"{path}: a flows file ends in .json or .toml")
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{path}: not valid TOML: {error}") from None
    raise ValueError(f"{path}: reading TOML needs Python 3.11 or later; use a JSON file")


def load_flows(path: str | Path) -> list[dict[str, Any]]:
    """Read ``{"flows": [{"trigger", "name", "steps"}, ...]}`` from a JSON or TOML file.

    Each flow's steps are checked; errors name the file, the flow, the step and the field.
    Raise OSError when the file can't be read and ValueError when it is not a valid flows file.
    """
    path = Path(path)
    data = _read(path)
    if not isinstance(data, dict) or not isinstance(data.get("flows"), list) or len(data) != 1:
        raise ValueError(f"{path}: expected one top-level 'flows', a list of flows")
    flows = []
    for number, flow in enumerate(data["flows"], 1):
        if not isinstance(flow, dict) or not isinstance(flow.get("trigger"), str):
            raise ValueError(f"{path}: flow {number} needs a 'trigger' (a string)")
        if not isinstance(flow.get("name", ""), str):
            raise ValueError(f"{path}: flow {flow['trigger']!r}: 'name' must be a string")
        where = f"{path}: flow {flow['trigger']!r}"
        unknown = set(flow) - {"trigger", "name", "steps"}
        if unknown:
            raise ValueError(f"{where}: unknown field {sorted(unknown)[0]!r}")
        try:
            check_steps(flow.get("steps", []))
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        flows.append(flow)
    return flows
