"""A guard on every test: no API key or encryption key in logs, warnings or exception texts.

The keys a test used are collected as it runs: the shared sandbox's keys, every key a
``NotifiedByClient`` was built with, the ``NOTIFIEDBY_*`` key variables and Django settings
in force at the end, and any key a test adds to the ``leak_secrets`` fixture. The texts
checked are every log record that reached the root logger (message and traceback), every
warning shown or recorded (also by ``pytest.warns``), every exception caught by
``pytest.raises``, and the exception that ended the test, with its causes.

Keys shorter than ``MIN_SECRET_LENGTH`` are ignored: a test key such as ``"k"`` would be
"found" in any text.
"""

from __future__ import annotations

import logging
import os
import traceback
import warnings
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest
from _pytest.raises import RaisesExc

from notifiedby.client import NotifiedByClient

__all__ = ["leak_guard", "leak_secrets", "pytest_runtest_makereport"]

MIN_SECRET_LENGTH = 8
#: Settings and environment variables that hold keys.
KEY_SETTINGS = ("NOTIFIEDBY_API_KEY", "NOTIFIEDBY_ENCRYPTION_KEY", "NOTIFIEDBY_OUTBOX_KEYS")

_SECRETS = pytest.StashKey[set[str]]()
_TEXTS = pytest.StashKey[list[str]]()


class _Recorder(logging.Handler):
    def __init__(self, texts: list[str]) -> None:
        super().__init__(logging.NOTSET)
        self.texts = texts

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(_record_text(record))


def _record_text(record: logging.LogRecord) -> str:
    try:
        text = record.getMessage()
    except Exception:  # a malformed record is the test's problem, not the guard's
        text = f"{record.msg!r} {record.args!r}"
    if record.exc_info and record.exc_info[1] is not None:
        text += "\n" + _exception_text(record.exc_info[1])
    return text


def _exception_text(error: BaseException) -> str:
    """Return the messages and reprs of ``error`` and the exceptions chained to it (not the
    source lines of the traceback, which hold the test's own key literals)."""
    parts = [_safely(lambda: "".join(traceback.format_exception_only(type(error), error)))]
    parts.append(_safely(lambda: repr(error)))
    for linked in (error.__cause__, error.__context__):
        if linked is not None and linked is not error:
            parts.append(_exception_text(linked))
    return "\n".join(parts)


def _safely(text: Callable[[], str]) -> str:
    # Some exceptions can't be shown here (Django's ValidationError needs settings for its
    # text); the guard checks what can be shown and never fails for its own sake.
    try:
        return text()
    except Exception:
        return ""


def _setting_secrets() -> Iterator[str]:
    for name in KEY_SETTINGS:
        yield from os.environ.get(name, "").split(",")
    from django.conf import settings

    if settings.configured:
        for name in KEY_SETTINGS:
            value = getattr(settings, name, None)
            yield from ([value] if isinstance(value, str) else value or [])


def _leaks(secrets: set[str], texts: list[str]) -> list[str]:
    keys = {key for key in secrets if isinstance(key, str) and len(key) >= MIN_SECRET_LENGTH}
    return sorted({_name(key) for key in keys for text in texts if key in text})


def _name(key: str) -> str:
    # The report must not print the key it complains about.
    return f"a key ending …{key[-4:]} ({len(key)} characters)"


@pytest.fixture
def leak_secrets(request: pytest.FixtureRequest) -> set[str]:
    """The keys the guard looks for; a test may add keys it uses that the guard can't see."""
    secrets: set[str] = request.node.stash.setdefault(_SECRETS, set())
    return secrets


@pytest.fixture(autouse=True)
def leak_guard(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, leak_secrets: set[str]
) -> Generator[None, None, None]:
    """Fail the test if a key it used shows up in a log record, warning or exception text."""
    texts: list[str] = request.node.stash.setdefault(_TEXTS, [])
    if "_shared_sandbox" in request.fixturenames:
        leak_secrets.update(request.getfixturevalue("_shared_sandbox").api_keys)

    setup = NotifiedByClient._setup

    def recording_setup(self: NotifiedByClient, settings: Any, session: Any) -> None:
        leak_secrets.update(filter(None, (settings.api_key, settings.encryption_key)))
        setup(self, settings, session)

    monkeypatch.setattr(NotifiedByClient, "_setup", recording_setup)
    # Every path a warning takes (shown, recorded by catch_warnings or pytest.warns) goes
    # through _showwarnmsg; a warning turned into an error is checked as an exception.
    show: Callable[[warnings.WarningMessage], None] | None = getattr(warnings, "_showwarnmsg", None)
    if show is not None:

        def recording_show(message: warnings.WarningMessage) -> None:
            texts.append(str(message.message))
            show(message)

        monkeypatch.setattr(warnings, "_showwarnmsg", recording_show)
    raises_exit = RaisesExc.__exit__

    def recording_exit(self: RaisesExc[Any], kind: Any, error: Any, tb: Any) -> bool:
        if isinstance(error, BaseException):
            texts.append(_exception_text(error))
        return raises_exit(self, kind, error, tb)

    monkeypatch.setattr(RaisesExc, "__exit__", recording_exit)
    handler = _Recorder(texts)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    leak_secrets.update(_setting_secrets())
    leaked = _leaks(leak_secrets, texts)
    if leaked:
        pytest.fail(f"A key leaked into a log record, warning or exception: {', '.join(leaked)}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Turn a test whose escaping exception text holds a key into a failure that says so."""
    report = yield
    secrets = item.stash.get(_SECRETS, None)
    if call.when == "call" and call.excinfo is not None and secrets:
        secrets.update(_setting_secrets())
        leaked = _leaks(secrets, [_exception_text(call.excinfo.value)])
        if leaked:
            report.outcome = "failed"
            report.longrepr = f"A key leaked into the exception that ended the test: {leaked}"
    return report
