"""Where the options go: the API commands' options before or after the command's name, and
``--quiet`` output that a script can use as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from notifiedby.cli import main
from notifiedby.sandbox import Sandbox
from tests.cli.conftest import assert_one_line_error

SEND = ["--to", "ann@example.com", "--subject", "Hi", "--body", "<p>Hi</p>"]


@pytest.mark.parametrize(
    "args",
    [
        ["--json", "emails", "send", *SEND],
        ["emails", "--json", "send", *SEND],
        ["emails", "send", "--json", *SEND],
        ["emails", "send", *SEND, "--json"],
    ],
    ids=["before", "after-group", "after-command", "at-the-end"],
)
def test_json_goes_before_or_after_the_command(run: Any, cli_env: Sandbox, args: list[str]) -> None:
    result = run(*args)

    assert result.code == 0, result.err
    assert result.json() == {
        "id": cli_env.emails[0].id,
        "recipient": "ann@example.com",
        "subject": "Hi",
    }


def test_verbose_before_the_command_logs_each_request(run: Any) -> None:
    result = run("-v", "recipients", "list")

    assert result.code == 0
    assert result.err.startswith("notifiedby: GET /recipients/")


def test_key_file_and_base_url_before_the_command(
    run: Any, cli_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", "a-wrong-key")
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    key_file = tmp_path / "key"
    key_file.write_text(cli_env.api_key)

    result = run("--api-key-file", str(key_file), "--base-url", cli_env.url, "check")

    assert result.code == 0, result.err
    assert result.out.startswith(f"OK: {cli_env.url}/v1 ")


def test_an_option_before_the_command_is_kept_when_another_follows_it(run: Any) -> None:
    run("recipients", "create", "ann@example.com")

    result = run("--json", "recipients", "list", "-v")

    assert [r["email"] for r in result.json()] == ["ann@example.com"]
    assert "GET /recipients/" in result.err


def test_a_key_before_the_command_is_refused_unechoed(
    cli_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--api-key", cli_env.api_key, "check"])

    assert exit_info.value.code == 2
    assert cli_env.api_key not in capsys.readouterr().err
    assert cli_env.requests == []


@pytest.mark.parametrize(
    ("args", "named"),
    [(["--json", "sandbox"], "--json"), (["-v", "demo"], "--verbose")],
)
def test_sandbox_and_demo_refuse_the_api_options(
    capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)

    assert exit_info.value.code == 2
    assert f"{named} is an option of the API commands, not of {args[1]}" in capsys.readouterr().err


# --- --quiet ------------------------------------------------------------------------------


def test_emails_send_quiet_prints_only_the_id(run: Any, cli_env: Sandbox) -> None:
    result = run("emails", "send", *SEND, "--quiet")

    assert result.code == 0
    assert result.out == f"{cli_env.emails[0].id}\n"
    assert run("emails", "send", "-q", *SEND).out == f"{cli_env.emails[1].id}\n"


def test_emails_status_quiet_prints_only_the_status(run: Any, cli_env: Sandbox) -> None:
    email_id = run("emails", "send", *SEND, "-q").out.strip()

    assert run("emails", "status", email_id, "-q").out == "delivered\n"


def test_subscribe_quiet_prints_only_the_subscription_id(run: Any, cli_env: Sandbox) -> None:
    result = run("subscribe", "WELCOME_SIGNUP", "ann@example.com", "--quiet")

    assert result.code == 0
    assert result.out == f"{cli_env.subscriptions[0]['id']}\n"


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["recipients", "create", "ann@example.com"],
        ["flags", "add", "ann@example.com", "vip"],
        ["flags", "remove", "ann@example.com", "vip"],
        ["unsubscribe", "WELCOME_SIGNUP", "ann@example.com"],
        ["subscriptions", "delete", "--email", "ann@example.com"],
    ],
    ids=" ".join,
)
def test_quiet_actions_print_nothing(run: Any, args: list[str]) -> None:
    run("subscribe", "WELCOME_SIGNUP", "ann@example.com")

    result = run(*args, "--quiet")

    assert (result.code, result.out, result.err) == (0, "", "")


def test_quiet_failures_still_say_why(run: Any) -> None:
    result = run("flags", "add", "nobody@example.com", "vip", "--quiet")

    assert_one_line_error(result, 3)


def test_quiet_and_json_together_is_a_usage_error(run: Any, cli_env: Sandbox) -> None:
    result = run("--json", "emails", "send", *SEND, "--quiet")

    assert_one_line_error(result, 2)
    assert "--json and --quiet" in result.err
    assert cli_env.requests == []
