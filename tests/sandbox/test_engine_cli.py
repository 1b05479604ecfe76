"""``notifiedby sandbox --flows FILE`` and ``--real-time``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.sandbox.test_cli import DEADLINE, Server

FLOWS = {
    "flows": [
        {
            "trigger": "TICK",
            "name": "Tick Flow",
            "steps": [
                {"type": "email", "subject": "First", "body": "<p>1</p>"},
                {"type": "wait", "seconds": 1},
                {"type": "email", "subject": "Second", "body": "<p>2</p>"},
            ],
        }
    ]
}


@pytest.fixture
def flows_file(tmp_path: Path) -> Path:
    path = tmp_path / "flows.json"
    path.write_text(json.dumps(FLOWS))
    return path


def _subjects(server: Server) -> list[str]:
    state: dict[str, Any] = requests.get(server.url + "/_sandbox/state/", timeout=10).json()
    return [email["subject"] for email in state["emails"]]


def _subscribe(server: Server) -> None:
    response = server.post("/v1/flows/subscribe/", {"flow_trigger": "TICK", "email": "a@b.co"})
    assert response.status_code == 201, response.text


def test_flows_file_is_loaded(servers: list[Server], flows_file: Path) -> None:
    server = Server("--api-key", "k", "--flows", str(flows_file))
    servers.append(server)
    _subscribe(server)
    inbox = requests.get(server.url + "/", timeout=10)
    moved = requests.post(server.url + "/_sandbox/clock/", json={"seconds": 1}, timeout=10)
    code, out, err = server.interrupt()

    assert f"Flows from {flows_file}: TICK" in out
    assert f"Inbox: {server.url}/" in out
    assert "POST /_sandbox/clock/" in out
    assert inbox.status_code == 200
    assert "Tick Flow" in inbox.text
    assert moved.status_code == 200
    assert code == 0
    assert "Traceback" not in err


def test_without_real_time_flows_wait_for_the_clock(
    servers: list[Server], flows_file: Path
) -> None:
    server = Server("--api-key", "k", "--flows", str(flows_file))
    servers.append(server)
    _subscribe(server)

    time.sleep(1.5)
    before = _subjects(server)
    requests.post(server.url + "/_sandbox/clock/", json={"seconds": 1}, timeout=10)

    assert before == []
    assert _subjects(server) == ["First", "Second"]


def test_real_time_runs_flows_by_the_wall_clock(servers: list[Server], flows_file: Path) -> None:
    server = Server("--api-key", "k", "--flows", str(flows_file), "--real-time")
    servers.append(server)
    _subscribe(server)

    deadline = time.monotonic() + DEADLINE
    while _subjects(server) != ["First", "Second"]:
        assert time.monotonic() < deadline, _subjects(server)
        time.sleep(0.1)
    code, out, _ = server.interrupt()

    assert "POST /_sandbox/clock/" not in out
    assert code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"flows": [{"trigger": "T", "steps": [{"type": "wait"}]}]}', "step 1 (wait): needs"),
        ("{", "not valid JSON"),
        (None, "No such file"),
    ],
)
def test_a_bad_flows_file_is_a_clean_error(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "flows.json"
    if content is not None:
        path.write_text(content)

    result = subprocess.run(
        [sys.executable, "-m", "notifiedby", "sandbox", "--port", "0", "--flows", str(path)],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )

    assert result.returncode == 2
    assert "notifiedby sandbox: cannot load flows:" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "listening" not in result.stdout
