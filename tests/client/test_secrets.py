"""No key in any log record, repr or exception text, with everything at DEBUG."""

from __future__ import annotations

import logging
import traceback

import pytest

from notifiedby.client import NotifiedByClient, endpoint
from notifiedby.exceptions import NotifiedByError
from notifiedby.sandbox import Sandbox
from tests.client.conftest import ENCRYPTION_KEY, MakeClient

SEND = {"recipient": "alice@example.com", "subject": "Hello", "body": "<p>Hi</p>"}
WRONG_KEY = "sbx_this_key_is_wrong_but_still_secret_123"


def test_no_key_leaks_through_a_whole_scenario_at_debug(
    make_client: MakeClient,
    sandbox: Sandbox,
    closed_port: int,
    silent_server: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: urllib3 and everything else too
    caplog.set_level(logging.DEBUG, logger="notifiedby")
    client = make_client(encryption_key=ENCRYPTION_KEY, timeout=(1, 0.3))
    errors: list[NotifiedByError] = []

    def expect_error(call: object) -> None:
        try:
            call()  # type: ignore[operator]
        except NotifiedByError as exc:
            errors.append(exc)
        else:
            raise AssertionError("expected a NotifiedByError")

    sent = client.post("/email/send/", json=SEND)
    client.get(endpoint("email", "detail", sent["id"]))
    expect_error(lambda: client.post("/email/send/", json={"recipient": "x"}))
    expect_error(lambda: client.get(endpoint("email", "detail", "NOPE")))
    sandbox.inject_fault(503, count=5)
    expect_error(lambda: client.get("/email/list/"))
    sandbox.clear_faults()
    sandbox.inject_fault(drop=True)
    expect_error(lambda: client.post("/email/send/", json=SEND))
    sandbox.inject_fault(latency=2.0)
    expect_error(lambda: client.post("/email/send/", json=SEND))
    sandbox.inject_fault(429, retry_after=600, body={"detail": f"echo {ENCRYPTION_KEY}"})
    expect_error(lambda: client.get("/email/list/"))
    wrong = make_client(api_key=WRONG_KEY, encryption_key=ENCRYPTION_KEY)
    expect_error(lambda: wrong.get("/email/list/"))
    refused = make_client(base_url=f"http://127.0.0.1:{closed_port}", api_key=WRONG_KEY)
    expect_error(lambda: refused.get("/email/list/"))
    silent = make_client(base_url=silent_server, timeout=0.2, max_retries=0)
    expect_error(lambda: silent.post("/email/send/", json=SEND))

    secrets = [sandbox.api_key, ENCRYPTION_KEY, WRONG_KEY]
    texts: list[str] = []
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    for record in caplog.records:
        texts.append(formatter.format(record))  # includes any exc_info
        texts.append(repr(record.args))
    for error in errors:
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
    for each in (client, wrong, refused, silent):
        texts += [repr(each), repr(each.settings), repr(vars(each))]

    assert len(errors) == 9
    assert any(r.name == "notifiedby" and r.levelno == logging.DEBUG for r in caplog.records)
    assert any(r.name == "notifiedby" and r.levelno == logging.WARNING for r in caplog.records)
    for text in texts:
        for secret in secrets:
            assert secret not in text
            assert secret[:-4] not in text  # not even most of it


def test_repr_shows_at_most_the_last_four_characters(sandbox: Sandbox) -> None:
    client = NotifiedByClient("sk_live_0123456789abcd", sandbox.url, encryption_key=ENCRYPTION_KEY)

    assert repr(client) == f"NotifiedByClient(base_url='{sandbox.url}/v1', api_key='…abcd')"
    assert ENCRYPTION_KEY[:-4] not in repr(vars(client))


def test_log_lines_name_method_path_status_time_and_attempt(
    client: NotifiedByClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="notifiedby")

    client.get("/email/list/", params={"recipient": "private@example.com"})

    [record] = [r for r in caplog.records if r.name == "notifiedby"]
    assert record.levelno == logging.DEBUG
    message = record.getMessage()
    assert message.startswith("GET /email/list/ -> 200 in ")
    assert message.endswith(" ms (attempt 1)")
    assert "private@example.com" not in message  # the query (and body) is never logged
