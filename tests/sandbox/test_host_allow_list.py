"""DNS rebinding: the sandbox answers only to the names it was given, and its links never
echo the request's Host.

Issue 13: nothing checked Host, and the cross-site guard compared Origin with Host, which a
rebound name passes, so a web page the developer visited could read the inbox and drive
``/_sandbox/``. Pagination links echoed Host.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
import requests

from notifiedby.sandbox import Sandbox
from tests.sandbox._raw import address, host_header, one_answer
from tests.sandbox.conftest import REQUEST_TIMEOUT, Api
from tests.sandbox.test_cli import DEADLINE, Server


def _get(sandbox: Sandbox, path: str, host: str, **headers: str) -> requests.Response:
    return requests.get(
        sandbox.url + path, headers={"Host": host, **headers}, timeout=REQUEST_TIMEOUT
    )


@pytest.mark.parametrize(
    "path", ["/", "/inbox/stamp", "/_sandbox/state/", "/v1/recipients/", "/v1/openapi.json"]
)
def test_a_rebound_name_is_refused(sandbox: Sandbox, path: str) -> None:
    port = address(sandbox.url)[1]
    headers = {"Authorization": f"Api-Key {sandbox.api_key}"}

    response = _get(sandbox, path, f"rebind.attacker.example:{port}", **headers)

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "'rebind.attacker.example:" in detail
    assert "--allowed-host" in detail
    assert f"localhost:{port}" in detail


def test_a_rebound_page_cannot_drive_the_controls(sandbox: Sandbox) -> None:
    # After rebinding, the attacker's page is same-origin with itself: Origin matches Host.
    sandbox.block("ann@example.com")
    evil = f"rebind.attacker.example:{address(sandbox.url)[1]}"

    response = requests.post(
        sandbox.url + "/_sandbox/reset/",
        headers={"Host": evil, "Origin": f"http://{evil}", "Sec-Fetch-Site": "same-origin"},
        timeout=REQUEST_TIMEOUT,
    )

    assert response.status_code == 400
    assert sandbox.control.store.blocked() == ["ann@example.com"]


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "LocalHost", "[::1]"])
def test_the_loopback_names_on_the_port_are_allowed(sandbox: Sandbox, name: str) -> None:
    response = _get(sandbox, "/inbox/stamp", f"{name}:{address(sandbox.url)[1]}")

    assert response.status_code == 200


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:1", "localhost", "127.0.0.2:{port}", "localhost.:{port}", "a@localhost:{port}"],
)
def test_another_port_or_a_lookalike_is_refused(sandbox: Sandbox, host: str) -> None:
    response = _get(sandbox, "/inbox/stamp", host.format(port=address(sandbox.url)[1]))

    assert response.status_code == 400


def test_two_host_headers_are_refused(sandbox: Sandbox) -> None:
    request = (
        f"GET /inbox/stamp HTTP/1.1\r\nHost: {host_header(sandbox.url)}\r\n"
        "Host: rebind.attacker.example\r\n\r\n"
    )

    assert one_answer(sandbox.url, request.encode()).status == 400


def test_extra_allowed_hosts() -> None:
    with Sandbox(allowed_hosts=["sandbox.test", "proxy.test:8080", "127.0.0.7"]) as sb:

        def status(host: str) -> int:
            return _get(sb, "/inbox/stamp", host).status_code

        # A name alone is allowed on any port (a proxy or a container may map another).
        assert status("sandbox.test") == 200
        assert status("Sandbox.Test:9999") == 200
        assert status("proxy.test:8080") == 200
        assert status("proxy.test:8081") == 400
        assert status("proxy.test") == 400
        assert status("127.0.0.7:1234") == 200
        assert status("other.test") == 400


@pytest.mark.parametrize("entry", ["", "http://x.test", "x.test/path", "x.test:99999", "a b"])
def test_a_malformed_allowed_host_is_a_value_error(entry: str) -> None:
    with pytest.raises(ValueError, match="allowed host"):
        Sandbox(allowed_hosts=[entry])


def test_pagination_links_use_the_allowed_name_not_the_request(api: Api, sandbox: Sandbox) -> None:
    for number in range(3):
        api.upsert(f"r{number}@example.com")
    port = address(sandbox.url)[1]

    by_url = api.get("/v1/recipients/", params={"page_size": 1}).json()
    by_name = api.get(
        "/v1/recipients/?page=2&page_size=1", headers={"Host": f"LOCALHOST:{port}"}
    ).json()

    assert by_url["next"] == f"{sandbox.url}/v1/recipients/?page_size=1&page=2"
    # The allowed name as configured (lower case), not the request's spelling of it.
    assert by_name["next"] == f"http://localhost:{port}/v1/recipients/?page_size=1&page=3"
    assert by_name["previous"] == f"http://localhost:{port}/v1/recipients/?page_size=1"


def test_a_request_without_host_gets_links_to_the_bound_address(api: Api, sandbox: Sandbox) -> None:
    api.upsert("a@example.com")
    api.upsert("b@example.com")
    request = (
        "GET /v1/recipients/?page_size=1 HTTP/1.0\r\n"
        f"Authorization: Api-Key {sandbox.api_key}\r\n\r\n"
    )

    answer = one_answer(sandbox.url, request.encode())

    assert answer.status == 200
    assert json.loads(answer.body)["next"] == f"{sandbox.url}/v1/recipients/?page_size=1&page=2"


def test_the_command_line_takes_allowed_hosts(servers: list[Server]) -> None:
    server = Server("--api-key", "k", "--allowed-host", "sandbox.test", "--allowed-host", "b.test")
    servers.append(server)

    stamp = server.url + "/inbox/stamp"
    allowed = requests.get(stamp, headers={"Host": "sandbox.test"}, timeout=REQUEST_TIMEOUT)
    refused = requests.get(stamp, headers={"Host": "c.test"}, timeout=REQUEST_TIMEOUT)
    code, out, _ = server.interrupt()

    assert allowed.status_code == 200
    assert refused.status_code == 400
    assert "Also answering to Host: sandbox.test, b.test" in out
    assert code == 0


def test_a_malformed_allowed_host_is_a_clean_command_line_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "notifiedby", "sandbox", "--port", "0", "--allowed-host", "a/b"],
        capture_output=True,
        text=True,
        timeout=DEADLINE,
        check=False,
    )

    assert result.returncode == 2
    assert "allowed host 'a/b'" in result.stderr
    assert "Traceback" not in result.stderr


def test_binding_a_non_loopback_address_warns() -> None:
    # Hold the port on loopback, so the wildcard bind fails: the warning is printed before
    # binding, and the test never listens on anything but loopback.
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = str(holder.getsockname()[1])
        wildcard = "0.0.0.0"  # noqa: S104 - the port is taken, so nothing binds
        result = subprocess.run(
            [sys.executable, "-m", "notifiedby", "sandbox", "--host", wildcard, "--port", port],
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )

    [warning] = [line for line in result.stderr.splitlines() if "warning" in line]
    assert "0.0.0.0 is not a loopback address" in warning
    assert "inbox" in warning
    assert result.returncode == 2  # the port was taken


def test_a_loopback_address_does_not_warn(servers: list[Server]) -> None:
    server = Server("--api-key", "k", "--host", "127.0.0.1")
    servers.append(server)

    code, _, err = server.interrupt()

    assert code == 0
    assert "warning" not in err
