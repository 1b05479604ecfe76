"""Each API command against the sandbox, for people (tables) and for scripts (--json)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from notifiedby.sandbox import Sandbox
from tests.cli.conftest import assert_one_line_error


def test_check_reports_the_server(run: Any, cli_env: Sandbox) -> None:
    result = run("check")

    assert result.code == 0
    assert result.out.startswith(f"OK: {cli_env.url}/v1 accepted the API key")
    assert len(cli_env.requests) == 1
    assert run("check", "--json").json()["ok"] is True


def test_recipients_create_get_and_list(run: Any, cli_env: Sandbox) -> None:
    created = run("recipients", "create", "ann@example.com", "--first-name", "Ann", "--flag", "vip")
    run("recipients", "create", "bo@example.com", "--last-name", "Bo")

    shown = run("recipients", "get", "ann@example.com")
    table = run("recipients", "list")
    as_json = run("recipients", "list", "--json", "--email", "bo@example.com")

    assert created.code == shown.code == table.code == 0
    assert "First name:          Ann" in shown.out
    assert "Flags:               vip" in shown.out
    lines = table.out.splitlines()
    assert lines[0].split() == ["EMAIL", "FIRST", "NAME", "LAST", "NAME", "FLAGS", "CREATED"]
    assert lines[1].startswith("ann@example.com  Ann")
    assert lines[2].startswith("bo@example.com ")
    # Columns line up: each header starts where its cells start.
    assert lines[1].index("vip") == lines[0].index("FLAGS")
    assert [r["email"] for r in as_json.json()] == ["bo@example.com"]
    assert as_json.json()[0]["last_name"] == "Bo"


def test_recipients_list_limit(run: Any) -> None:
    for n in range(3):
        run("recipients", "create", f"r{n}@example.com")

    result = run("recipients", "list", "--limit", "2", "--json")

    assert len(result.json()) == 2


def test_recipients_get_unknown_is_not_found(run: Any) -> None:
    result = run("recipients", "get", "nobody@example.com")

    assert_one_line_error(result, 3)
    assert "nobody@example.com" in result.err


def test_flags_add_and_remove(run: Any, cli_env: Sandbox) -> None:
    run("recipients", "create", "ann@example.com", "--flag", "trial")

    added = run("flags", "add", "ann@example.com", "premium", "onboarded")
    removed = run("flags", "remove", "ann@example.com", "trial", "--json")

    assert added.code == removed.code == 0
    assert "premium" in added.out
    assert "message" in removed.json()
    assert cli_env.recipients[0]["flags"] == ["premium", "onboarded"]


def test_flags_on_unknown_recipient_is_not_found(run: Any) -> None:
    assert_one_line_error(run("flags", "add", "nobody@example.com", "x"), 3)


def test_subscribe_and_unsubscribe(run: Any, cli_env: Sandbox) -> None:
    subscribed = run("subscribe", "WELCOME_SIGNUP", "ann@example.com", "--first-name", "Ann")
    again = run("subscribe", "WELCOME_SIGNUP", "ann@example.com")
    unsubscribed = run("unsubscribe", "WELCOME_SIGNUP", "ann@example.com")

    assert subscribed.code == 0
    assert "Flow:      WELCOME_SIGNUP (Welcome Signup Flow)" in subscribed.out
    assert "Status:    active" in subscribed.out
    assert_one_line_error(again, 1)  # the API refuses a second active subscription (400)
    assert unsubscribed.code == 0
    assert "unsubscribed" in unsubscribed.out
    assert cli_env.subscriptions[0]["status"] == "cancelled"


def test_subscribe_to_unknown_flow_is_an_api_error(run: Any) -> None:
    result = run("subscribe", "NO_SUCH_FLOW", "ann@example.com")

    assert_one_line_error(result, 1)
    assert "HTTP 400" in result.err


def test_subscriptions_list_and_filters(run: Any) -> None:
    run("subscribe", "WELCOME_SIGNUP", "ann@example.com")
    run("subscribe", "PREMIUM_ONBOARDING", "ann@example.com")
    run("subscribe", "WELCOME_SIGNUP", "bo@example.com")
    run("unsubscribe", "WELCOME_SIGNUP", "bo@example.com")

    table = run("subscriptions", "list")
    by_flow = run("subscriptions", "list", "--flow", "PREMIUM_ONBOARDING", "--json").json()
    active = run("subscriptions", "list", "--status", "active", "--json").json()
    mine = run("subscriptions", "list", "--email", "bo@example.com", "--json").json()

    assert table.out.splitlines()[0].split() == [
        "ID",
        "EMAIL",
        "FLOW",
        "STATUS",
        "STEP",
        "NEXT",
        "SEND",
    ]
    assert len(table.out.splitlines()) == 4
    assert [s["recipient_email"] for s in by_flow] == ["ann@example.com"]
    assert [s["status"] for s in active] == ["active", "active"]
    assert [s["status"] for s in mine] == ["cancelled"]


def test_subscriptions_delete(run: Any, cli_env: Sandbox) -> None:
    run("subscribe", "WELCOME_SIGNUP", "ann@example.com")
    run("subscribe", "WELCOME_SIGNUP", "bo@example.com")

    deleted = run("subscriptions", "delete", "--email", "ann@example.com")
    nothing = run("subscriptions", "delete", "--email", "ann@example.com")
    everything = run("subscriptions", "delete", "--all", "--json")

    assert deleted.out == "Deleted 1 subscription.\n"
    assert_one_line_error(nothing, 3)
    assert everything.json() == {"deleted": 1}
    assert cli_env.subscriptions == []


@pytest.mark.parametrize("args", [[], ["--all", "--email", "ann@example.com"]])
def test_subscriptions_delete_needs_one_scope(run: Any, args: list[str]) -> None:
    assert_one_line_error(run("subscriptions", "delete", *args), 2)


def test_emails_send_list_show_and_status(run: Any, cli_env: Sandbox) -> None:
    sent = run(
        "emails", "send", "--to", "ann@example.com", "--subject", "Hi", "--body", "<p>Hi</p>"
    )
    email_id = cli_env.emails[0].id

    listed = run("emails", "list")
    shown = run("emails", "show", email_id)
    latest = run("emails", "show", "--latest", "ann@example.com", "--json")
    status = run("emails", "status", email_id)

    assert sent.out == f"Sent {email_id} to ann@example.com.\n"
    assert listed.out.splitlines()[0].split() == ["SENT", "RECIPIENT", "SUBJECT"]
    assert "ann@example.com  Hi" in listed.out.splitlines()[1]
    assert f"Id:      {email_id}" in shown.out
    assert shown.out.endswith("\n\n<p>Hi</p>\n")
    assert latest.json()["subject"] == "Hi"
    assert "Status: delivered" in status.out
    assert run("emails", "status", email_id, "--json").json()["status"] == "delivered"


def test_emails_send_body_from_a_file_and_stdin(
    run: Any, cli_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = tmp_path / "body.html"
    body.write_text("<p>From a file</p>")
    monkeypatch.setattr("sys.stdin", io.StringIO("<p>From stdin</p>"))

    by_file = run(
        "emails", "send", "--to", "a@example.com", "--subject", "F", "--body-file", str(body)
    )
    by_stdin = run(
        "emails", "send", "--to", "a@example.com", "--subject", "S", "--body-file", "-", "--json"
    )

    assert by_file.code == by_stdin.code == 0
    assert by_stdin.json()["id"] == cli_env.emails[1].id
    assert [e.body for e in cli_env.emails] == ["<p>From a file</p>", "<p>From stdin</p>"]


def test_emails_send_missing_body_file_is_a_usage_error(run: Any, tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.html")

    result = run(
        "emails", "send", "--to", "a@example.com", "--subject", "S", "--body-file", missing
    )

    assert_one_line_error(result, 2)


def test_emails_send_to_blocked_recipient_fails(run: Any, cli_env: Sandbox) -> None:
    cli_env.block("ann@example.com")

    result = run("emails", "send", "--to", "ann@example.com", "--subject", "S", "--body", "b")

    assert_one_line_error(result, 1)
    assert "blocked" in result.err


@pytest.mark.parametrize(
    "args",
    [
        ["emails", "show", "NOPE"],
        ["emails", "status", "NOPE"],
        ["emails", "show", "--latest", "x@example.com"],
    ],
)
def test_unknown_email_is_not_found(run: Any, args: list[str]) -> None:
    assert_one_line_error(run(*args), 3)


def test_invalid_address_is_a_usage_error_and_sends_nothing(run: Any, cli_env: Sandbox) -> None:
    result = run("recipients", "create", "not-an-address")

    assert_one_line_error(result, 2)
    assert cli_env.requests == []
