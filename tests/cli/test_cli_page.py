"""docs/cli.md against the code: the commands, options and outputs it shows are real."""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notifiedby.cli import build_parser, main
from notifiedby.sandbox import Sandbox
from tests.docs.blocks import ROOT, read_blocks

PAGE = ROOT / "docs" / "cli.md"
TEXT = PAGE.read_text(encoding="utf-8")
#: An option as the page writes it: ``--body-file``, ``-q``.
OPTION = re.compile(r"(?<![\w-])(--?[a-z][a-z-]*)")


def console_sessions() -> list[tuple[list[str], list[str]]]:
    """Return each ``notifiedby`` command of the page's console blocks, with the lines it
    is shown to print; a command is cut at ``;`` or ``|``."""
    sessions: list[tuple[list[str], list[str]]] = []
    for block in read_blocks(PAGE):
        if block.lang != "console":
            continue
        for line in block.code.splitlines():
            command = line.removeprefix("$ ")
            if command.startswith("notifiedby "):
                sessions.append((shlex.split(re.split(r"[;|]", command)[0])[1:], []))
            elif sessions and not line.startswith("$ "):
                sessions[-1][1].append(line)
    return sessions


def table_rows(heading: str) -> list[str]:
    """Return the first cell of each row of the table under ``heading``."""
    section = TEXT.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [line.split(" | ")[0] for line in section.splitlines() if line.startswith("| `")]


def documented_commands() -> list[tuple[list[str], list[str]]]:
    """Return the command words and the options of each command the Commands table shows."""
    commands = []
    for cell in table_rows("Commands"):
        for usage in re.findall(r"`([^`]+)`", cell):
            words = re.match(r"[a-z ]+", usage)
            assert words is not None, usage
            commands.append((words[0].split(), OPTION.findall(usage)))
    return commands


def parser_commands(parser: argparse.ArgumentParser, *prefix: str) -> Iterator[tuple[str, ...]]:
    """Yield the words of every command the parser runs."""
    groups = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not groups:
        yield prefix
    for group in groups:
        for name, sub in group.choices.items():
            yield from parser_commands(sub, *prefix, name)


def help_of(words: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*words, "--help"])
    assert exit_info.value.code == 0, words
    return capsys.readouterr().out


def test_every_command_shown_in_a_console_block_parses() -> None:
    sessions = console_sessions()

    assert len(sessions) >= 5
    for words, _ in sessions:
        build_parser().parse_args(words)  # exits on an unknown command or option


def test_the_commands_table_is_the_parsers_commands() -> None:
    documented = {tuple(words) for words, _ in documented_commands()}

    assert documented == set(parser_commands(build_parser()))


@pytest.mark.parametrize("words", [w for w, _ in documented_commands()], ids=" ".join)
def test_each_documented_option_exists(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    options = {o for w, opts in documented_commands() if w == words for o in opts}

    shown = help_of(words, capsys)

    assert {o for o in options if not re.search(rf"(?<![\w-]){o}(?![\w-])", shown)} == set()


def test_the_options_of_every_api_command_exist(capsys: pytest.CaptureFixture[str]) -> None:
    options = {
        o for cell in table_rows("Options of every API command") for o in OPTION.findall(cell)
    }
    top, send = help_of([], capsys), help_of(["emails", "send"], capsys)

    assert options == {"--json", "--api-key-file", "--base-url", "-v", "--verbose"}
    assert all(o in top and o in send for o in options)


def test_the_help_lists_only_real_commands(capsys: pytest.CaptureFixture[str]) -> None:
    # The emails group once promised a "follow" action that did not exist.
    assert "follow" not in help_of([], capsys)
    assert "follow" not in help_of(["emails"], capsys)


def test_emails_send_prints_what_the_page_shows(
    run: Any, cli_env: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "invoice.html").write_text("<p>Thanks!</p>")
    shown = [(w, out) for w, out in console_sessions() if w[:2] == ["emails", "send"]]

    assert len(shown) == 2  # the sentence, and --quiet's bare id
    for words, lines in shown:
        result = run(*words)
        printed = result.out.replace(cli_env.emails[-1].id, "<ID>")
        assert printed.splitlines() == [re.sub(r"\bJD[A-Z]\b", "<ID>", line) for line in lines]


def test_the_exit_code_example_prints_what_the_page_shows(run: Any) -> None:
    [(words, lines)] = [(w, out) for w, out in console_sessions() if w[:2] == ["recipients", "get"]]

    result = run(*words)

    assert [*result.err.splitlines(), str(result.code)] == lines
