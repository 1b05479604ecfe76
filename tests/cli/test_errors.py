"""How commands fail: a one-line message on stderr, a documented exit code, no traceback."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import pytest

from notifiedby.cli import main
from notifiedby.sandbox import Sandbox
from tests.cli.conftest import assert_one_line_error


def test_bad_key_exits_5(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", "not-the-key")

    result = run("check")

    assert_one_line_error(result, 5)
    assert "not-the-key" not in result.err


def test_unreachable_server_exits_4_after_quiet_retries(run: Any, closed_port: int) -> None:
    # Default retries: their log warnings must not reach stderr without -v.
    result = run("check", "--base-url", f"http://127.0.0.1:{closed_port}")

    assert_one_line_error(result, 4)
    assert "Could not connect" in result.err


def test_verbose_logs_each_attempt(
    run: Any, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_MAX_RETRIES", "1")

    result = run("check", "-v", "--base-url", f"http://127.0.0.1:{closed_port}")

    assert result.code == 4
    assert "(attempt 2)" in result.err
    assert result.err.splitlines()[-1].startswith("notifiedby: error: ")


def test_server_error_exits_1(run: Any, cli_env: Sandbox) -> None:
    cli_env.inject_fault(500)

    assert_one_line_error(run("recipients", "list"), 1)


def test_timeout_exits_4(run: Any, cli_env: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFIEDBY_TIMEOUT", "0.2")
    monkeypatch.setenv("NOTIFIEDBY_MAX_RETRIES", "0")
    cli_env.inject_fault(latency=1.0)

    result = run("check")

    assert_one_line_error(result, 4)
    assert "Timed out" in result.err


def test_missing_key_exits_2_and_names_both_ways(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFIEDBY_API_KEY")

    result = run("check")

    assert_one_line_error(result, 2)
    assert "NOTIFIEDBY_API_KEY" in result.err
    assert "--api-key-file" in result.err


def test_key_from_a_file(
    run: Any, cli_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", "a-wrong-key")
    key_file = tmp_path / "key"
    key_file.write_text(cli_env.api_key + "\n")

    result = run("check", "--api-key-file", str(key_file))

    assert result.code == 0  # the file wins over the environment


def test_a_refused_key_from_a_file_names_the_file(run: Any, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("a-wrong-key\n")

    result = run("check", "--api-key-file", str(key_file))

    assert_one_line_error(result, 5)
    assert f"came from the file {key_file} (--api-key-file)" in result.err
    assert "a-wrong-key" not in result.err


@pytest.mark.parametrize("content", [None, "  \n"])
def test_unreadable_or_empty_key_file_exits_2(
    run: Any, tmp_path: Path, content: str | None
) -> None:
    key_file = tmp_path / "key"
    if content is not None:
        key_file.write_text(content)

    assert_one_line_error(run("check", "--api-key-file", str(key_file)), 2)


@pytest.mark.parametrize("form", ["--api-key {}", "--api-key={}"])
def test_a_key_on_the_command_line_is_refused_unechoed(
    cli_env: Sandbox, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    # A key given as an argument would show in `ps`; it is refused, and never read as a path.
    with pytest.raises(SystemExit) as exit_info:
        main(["check", *form.format(cli_env.api_key).split()])

    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert cli_env.api_key not in err
    assert cli_env.requests == []


def test_bad_base_url_exits_2(run: Any) -> None:
    assert_one_line_error(run("check", "--base-url", "ftp://example.com"), 2)


def test_logging_is_put_back_after_a_command(run: Any) -> None:
    logger = logging.getLogger("notifiedby")
    before = (list(logger.handlers), logger.level)

    run("check", "-v")

    assert (list(logger.handlers), logger.level) == before


def test_a_warning_is_one_line_too(run: Any, closed_port: int) -> None:
    # 0.0.0.0 is not loopback to the SDK, so plain http:// warns; connecting still stays local.
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        result = run("check", "--base-url", f"http://0.0.0.0:{closed_port}")

    lines = result.err.splitlines()
    assert result.code == 4
    assert len(lines) == 2
    assert lines[0].startswith("notifiedby: warning: The NotifiedBy base URL uses plain http://")
    assert lines[1].startswith("notifiedby: error: ")
