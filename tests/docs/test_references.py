"""Every file path and command line the documentation shows exists as shown.

Scanned: README.md, CHANGELOG.md and the pages of docs/. Checked:

- repository paths (``examples/...``, ``notifiedby/...``, ``tests/...`` and the other top-level
  folders) in inline code and code blocks, and the targets of relative links;
- command lines in console blocks (only the ``$`` lines, when a block has any) and in inline
  code that start with ``notifiedby``, ``python -m notifiedby``, ``manage.py`` or ``make``:
  the command exists, every ``--flag`` shown is one its argparse parser accepts, a flag that
  takes no value is not shown with one (``--resume FILE``), and one that needs a value has it.

An ALL-CAPS word stands for a value (``FILE``, ``ADDR``); one where a subcommand goes
(``notifiedby COMMAND --help``) ends the check of that line. Files and commands are read when
the test runs, so pages and the Makefile edited meanwhile are checked as they are.
"""

from __future__ import annotations

import argparse
import functools
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

import tests.django.conftest  # noqa: F401 - configures Django, for the management commands
from tests.docs.blocks import ROOT, pages, read_blocks

PAGES = [*pages(), ROOT / "CHANGELOG.md"]
#: Folders at the top of the repository whose paths the pages mention.
TOP_FOLDERS = ("benchmarks", "docs", "examples", "notifiedby", "scripts", "tests")
#: Paths a documented command creates, so they are absent from a fresh clone.
MADE_AT_RUN_TIME = {"benchmarks/results/": "make bench writes its JSON there"}
SHELL_LANGUAGES = frozenset({"console", "shell", "sh", "bash"})

_PATH = re.compile(rf"(?<![\w./~-])((?:{'|'.join(TOP_FOLDERS)})/[\w./-]*)")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)")
_PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*")
_MAKE_TARGET = re.compile(r"^([\w.-]+(?:[ \t]+[\w.-]+)*)[ \t]*:(?!=)", re.MULTILINE)


def _id(page: Path) -> str:
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else page.name


# --- Reading a page: its code blocks, its prose lines, the spans and links in them. -------


def _prose(page: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) for each line outside the fenced code blocks."""
    fenced: set[int] = set()
    for block in read_blocks(page):
        fence = block.line - 1
        fenced.update(range(fence, block.line + block.code.count("\n") + 1))
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        if number not in fenced:
            yield number, line


def _inline_code(page: Path) -> Iterator[tuple[int, str]]:
    for number, line in _prose(page):
        for span in _INLINE_CODE.finditer(line):
            yield number, span[2].strip()


def _command_lines(page: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, text) for each shell command line of the page."""
    for block in read_blocks(page):
        if block.lang not in SHELL_LANGUAGES:
            continue
        lines = block.code.replace("\\\n", " ").splitlines()
        prompted = any(line.startswith("$ ") for line in lines)
        for offset, line in enumerate(lines):
            if not prompted:
                yield block.line + offset, line
            elif line.startswith("$ "):
                yield block.line + offset, line[2:]
    yield from _inline_code(page)


# --- Paths. -------------------------------------------------------------------------------


def _path_problems(page: Path) -> list[str]:
    problems = []
    code = [(b.line, b.code) for b in read_blocks(page)] + list(_inline_code(page))
    for number, text in code:
        for match in _PATH.finditer(text):
            path = match[1].rstrip(".")
            if path not in MADE_AT_RUN_TIME and not (ROOT / path).exists():
                problems.append(f"{_id(page)}:{number}: no such file or folder: {path}")
    for number, line in _prose(page):
        for link in _LINK.finditer(_INLINE_CODE.sub("", line)):
            target = link[1].split("#", 1)[0]
            if not target or re.match(r"[a-z][a-z0-9+.-]*:", target):
                continue  # an anchor on the same page, or a URL
            if not (page.parent / target).exists():
                problems.append(f"{_id(page)}:{number}: the link's target is missing: {target}")
    return problems


# --- Commands. ----------------------------------------------------------------------------


@functools.cache
def _cli_parser() -> argparse.ArgumentParser:
    from notifiedby.cli import build_parser

    return build_parser()


def _management_parser(name: str) -> argparse.ArgumentParser | None:
    from django.core.management import get_commands, load_command_class

    app = get_commands().get(name)
    if app is None:
        return None
    parser: argparse.ArgumentParser = load_command_class(app, name).create_parser("manage.py", name)
    return parser


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {t for found in _MAKE_TARGET.findall(makefile) for t in found.split()}


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _argument_problems(parser: argparse.ArgumentParser, words: list[str], shown: str) -> list[str]:
    """Walk ``words`` through ``parser`` and its subcommands; return what does not fit."""
    problems: list[str] = []
    words = [w for w in (w.strip("[]()") for w in words) if w and w not in ("|", "\\|", "...")]
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word.startswith("-") and word != "-":
            flag, _, inline_value = word.partition("=")
            action = parser._option_string_actions.get(flag)
            if action is None:
                problems.append(f"{shown}: {parser.prog} has no option {flag}")
                continue
            following = words[i] if i < len(words) else None
            if action.nargs == 0:
                if inline_value or (following and _PLACEHOLDER.fullmatch(following)):
                    problems.append(f"{shown}: {flag} takes no value")
            elif action.nargs is None and not inline_value:
                if following is None or (following.startswith("-") and following != "-"):
                    problems.append(f"{shown}: {flag} needs a value")
                i += 1
            continue
        commands = _subcommands(parser)
        if commands:
            if _PLACEHOLDER.fullmatch(word):
                break  # notifiedby COMMAND --help: any command
            if word not in commands:
                problems.append(f"{shown}: {parser.prog} has no command {word!r}")
                break
            parser = commands[word]
    return problems


def _split(line: str) -> list[list[str]]:
    """Return the simple commands of a shell line, each as its words."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        words = list(lexer)
    except ValueError:  # an unbalanced quote in prose: read it as plain words
        words = line.split()
    commands: list[list[str]] = [[]]
    for word in words:
        if word and set(word) <= set(";&|"):
            commands.append([])
        else:
            commands[-1].append(word)
    return [c for c in commands if c]


def _command_problems(words: list[str], shown: str) -> list[str]:
    """Check one simple command if it is one of ours; return its problems."""
    program = Path(words[0]).name
    if program.startswith("python") and words[1:3] == ["-m", "notifiedby"]:
        program, words = "notifiedby", words[2:]
    if program.startswith("python") and len(words) > 1 and Path(words[1]).name == "manage.py":
        program, words = "manage.py", words[1:]
    if program == "notifiedby":
        return _argument_problems(_cli_parser(), words[1:], shown)
    if program == "manage.py":
        if len(words) < 2:
            return []
        parser = _management_parser(words[1])
        if parser is None:
            return [f"{shown}: no management command {words[1]!r}"]
        return _argument_problems(parser, words[2:], shown)
    if program == "make":
        known = _make_targets()
        targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        return [f"{shown}: the Makefile has no target {t!r}" for t in targets if t not in known]
    return []


def _command_line_problems(page: Path) -> list[str]:
    problems = []
    for number, line in _command_lines(page):
        for words in _split(line):
            problems += _command_problems(words, f"{_id(page)}:{number}: `{line.strip()}`")
    return problems


# --- The tests. ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_documented_paths_exist(page: Path) -> None:
    assert _path_problems(page) == []


@pytest.mark.parametrize("page", PAGES, ids=_id)
def test_documented_commands_and_flags_exist(page: Path) -> None:
    assert _command_line_problems(page) == []


def test_the_checker_catches_what_it_is_for(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "Run `python manage.py notifiedby_sync_recipients --resume FILE`, then `make nothing`.\n"
        "See `examples/missing.py` and [the guide](missing.md).\n"
        "```console\n"
        "$ notifiedby sandbox --port\n"
        "$ notifiedby emails send --to ADDR --no-such-flag\n"
        "output: notifiedby nothing --at-all\n"
        "$ notifiedby COMMAND --help\n"
        "```\n"
    )
    problems = _command_line_problems(page) + _path_problems(page)

    assert [problem.split(": ", 1)[1] for problem in problems] == [
        "`notifiedby sandbox --port`: --port needs a value",
        "`notifiedby emails send --to ADDR --no-such-flag`: "
        "notifiedby emails send has no option --no-such-flag",
        "`python manage.py notifiedby_sync_recipients --resume FILE`: --resume takes no value",
        "`make nothing`: the Makefile has no target 'nothing'",
        "no such file or folder: examples/missing.py",
        "the link's target is missing: missing.md",
    ]
