"""The command line: ``python -m notifiedby sandbox`` starts, serves, stops on Ctrl-C."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

#: How long the CLI may take to start or stop before the test gives up.
DEADLINE = 20.0


class Server:
    """A ``python -m notifiedby sandbox`` child process and what it printed."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "notifiedby", "sandbox", "--port", "0", *args]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy()
        )
        self.output = ""
        match = self._read_until(r"listening on (http://\S+)\s.*API key: (\S+)")
        self.url, self.key = match.group(1), match.group(2)

    def _read_until(self, pattern: str) -> re.Match[str]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + DEADLINE
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while (match := re.search(pattern, self.output, re.DOTALL)) is None:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"no {pattern!r} in {self.output!r}"
                if selector.select(remaining):
                    chunk = os.read(self.process.stdout.fileno(), 4096)
                    assert chunk, f"the CLI exited: {self.output!r} {self._stderr()!r}"
                    self.output += chunk.decode()
        return match

    def _stderr(self) -> str:
        if self.process.poll() is None or self.process.stderr is None:
            return ""
        return self.process.stderr.read().decode()

    def get(self, path: str) -> requests.Response:
        return requests.get(
            self.url + path, headers={"Authorization": f"Api-Key {self.key}"}, timeout=10
        )

    def post(self, path: str, payload: object) -> requests.Response:
        return requests.post(
            self.url + path,
            json=payload,
            headers={"Authorization": f"Api-Key {self.key}"},
            timeout=10,
        )

    def interrupt(self) -> tuple[int, str, str]:
        """Send SIGINT (Ctrl-C) and return the exit code, stdout and stderr."""
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=DEADLINE)
        return self.process.returncode, self.output + out.decode(), err.decode()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def test_starts_prints_serves_and_stops_on_ctrl_c(servers: list[Server]) -> None:
    server = Server("--api-key", "k")
    servers.append(server)

    assert re.match(r"^http://127\.0\.0\.1:\d+$", server.url)
    assert server.key == "k"
    assert server.get("/v1/recipients/").status_code == 200
    subscribed = server.post(
        "/v1/flows/subscribe/", {"flow_trigger": "WELCOME_SIGNUP", "email": "a@b.co"}
    )
    assert subscribed.status_code == 201
    code, _, err = server.interrupt()

    assert code == 0
    assert "Traceback" not in err
    assert "KeyboardInterrupt" not in err


def test_generates_a_key_when_none_is_given(servers: list[Server]) -> None:
    server = Server()
    servers.append(server)

    assert server.key
    assert server.get("/v1/recipients/").status_code == 200
    assert server.interrupt()[0] == 0


def test_empty_starts_without_example_flows(servers: list[Server]) -> None:
    server = Server("--api-key", "k", "--empty")
    servers.append(server)

    response = server.post(
        "/v1/flows/subscribe/", {"flow_trigger": "WELCOME_SIGNUP", "email": "a@b.co"}
    )

    assert response.status_code == 400
    assert server.interrupt()[0] == 0


def test_data_file_survives_a_restart(servers: list[Server], tmp_path: Path) -> None:
    data = str(tmp_path / "state.sqlite3")
    first = Server("--api-key", "k", "--data", data)
    servers.append(first)
    created = first.post("/v1/recipients/", {"email": "keep@example.com", "flags": ["vip"]})
    assert created.status_code == 201
    sent = first.post(
        "/v1/email/send/", {"recipient": "keep@example.com", "subject": "Kept", "body": "<p>k</p>"}
    )
    first.post(
        "/v1/flows/subscribe/", {"flow_trigger": "WELCOME_SIGNUP", "email": "keep@example.com"}
    )
    assert first.interrupt()[0] == 0

    second = Server("--api-key", "k", "--data", data)
    servers.append(second)
    recipients = second.get("/v1/recipients/").json()["results"]
    detail = second.get(f"/v1/email/detail/{sent.json()['id']}/")
    subscriptions = second.get("/v1/flows/subscriptions/").json()["results"]
    again = second.post(
        "/v1/flows/subscribe/", {"flow_trigger": "WELCOME_SIGNUP", "email": "keep@example.com"}
    )

    assert [(r["email"], r["flags"]) for r in recipients] == [("keep@example.com", ["vip"])]
    assert detail.json()["subject"] == "Kept"
    assert [s["recipient_email"] for s in subscriptions] == ["keep@example.com"]
    assert again.status_code == 400
    assert second.interrupt()[0] == 0


def test_a_busy_port_is_a_clean_error(servers: list[Server]) -> None:
    first = Server("--api-key", "k")
    servers.append(first)
    port = first.url.rsplit(":", 1)[1]

    result = subprocess.run(
        [sys.executable, "-m", "notifiedby", "sandbox", "--port", port, "--api-key", "k"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert first.interrupt()[0] == 0


def test_encryption_key_env_opens_sealed_emails_in_the_inbox(servers: list[Server]) -> None:
    os.environ["SHOP_ENCRYPTION_KEY"] = "cli-test-key-2b7e"
    try:
        server = Server("--api-key", "k", "--encryption-key-env", "SHOP_ENCRYPTION_KEY")
    finally:
        del os.environ["SHOP_ENCRYPTION_KEY"]
    servers.append(server)
    sent = requests.post(
        server.url + "/v1/email/send/",
        json={"recipient": "a@b.co", "subject": "Sealed", "body": "<p>open-words-91</p>"},
        headers={"Authorization": "Api-Key k", "Encryption-Key": "cli-test-key-2b7e"},
        timeout=10,
    )
    assert sent.status_code == 200
    assert "open-words-91" in requests.get(server.url + "/", timeout=10).text
    code, out, _ = server.interrupt()
    assert code == 0
    assert "with the key in SHOP_ENCRYPTION_KEY" in out
    assert "cli-test-key-2b7e" not in out


def test_encryption_key_env_naming_an_unset_variable_is_a_clean_error() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_SUCH_KEY_VAR"}
    result = subprocess.run(
        [sys.executable, "-m", "notifiedby", "sandbox", "--encryption-key-env", "NO_SUCH_KEY_VAR"],
        capture_output=True,
        text=True,
        env=env,
        timeout=DEADLINE,
    )
    assert result.returncode == 2
    assert "NO_SUCH_KEY_VAR: that environment variable is not set" in result.stderr
