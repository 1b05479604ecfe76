"""The app, its system checks, and the lazy public names."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.apps import apps
from django.test import override_settings

from notifiedby.outbox import generate_key
from tests.django.conftest import BACKEND, HAS_MAILERS
from tests.django.conftest import check_messages as messages


def ids(**settings: object) -> list[str]:
    return [message.id for message in messages(**settings)]


def mail_settings(backend: str, **options: object) -> dict[str, object]:
    if HAS_MAILERS:
        return {"MAILERS": {"default": {"BACKEND": backend, "OPTIONS": options}}}
    return {"EMAIL_BACKEND": backend}


def test_the_app_config() -> None:
    config = apps.get_app_config("notifiedby")
    assert config.verbose_name == "NotifiedBy"
    assert config.default_auto_field == "django.db.models.BigAutoField"


def test_the_backend_without_an_api_key_is_an_error() -> None:
    assert ids(NOTIFIEDBY_API_KEY=None, **mail_settings(BACKEND)) == ["notifiedby.E001"]
    assert ids(NOTIFIEDBY_API_KEY="key-0123456789", **mail_settings(BACKEND)) == []
    assert ids(NOTIFIEDBY_API_KEY=" ", **mail_settings(BACKEND)) == ["notifiedby.E002"]


@pytest.mark.skipif(not HAS_MAILERS, reason="MAILERS is new in Django 6.1")
def test_an_api_key_option_satisfies_the_check() -> None:
    assert ids(**mail_settings(BACKEND, api_key="key-0123456789")) == []


@pytest.mark.parametrize(
    "backend",
    ["django.core.mail.backends.locmem.EmailBackend", "notifiedby.testing.NotifiedByTestBackend"],
)
def test_other_backends_need_no_key(backend: str) -> None:
    assert ids(NOTIFIEDBY_API_KEY=None, **mail_settings(backend)) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://api.example.com", ["notifiedby.W001"]),
        ("http://127.0.0.1:8025", []),
        ("http://localhost:8025", []),
        ("https://api.example.com", []),
        ("ftp://x", ["notifiedby.E002"]),
    ],
)
def test_a_plain_http_base_url_to_another_machine_is_a_warning(
    url: str, expected: list[str]
) -> None:
    assert ids(NOTIFIEDBY_BASE_URL=url) == expected


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        ("NOTIFIEDBY_TIMEOUT", "soon", "must be a positive number of seconds"),
        ("NOTIFIEDBY_TIMEOUT", (5, 0), "must be a positive number of seconds"),
        ("NOTIFIEDBY_MAX_RETRIES", -1, "must be a whole number, 0 or more"),
        ("NOTIFIEDBY_ENCRYPTION_KEY", "two words-SECRET", "contains spaces"),
        ("NOTIFIEDBY_STRICT_FROM", "maybe", "must be True or False"),
        ("NOTIFIEDBY_USE_ACCOUNT_TEMPLATE", 2, "must be True or False"),
    ],
)
def test_an_invalid_setting_is_an_error_naming_it_and_the_fix(
    setting: str, value: object, problem: str
) -> None:
    [error] = messages(**{setting: value}, **mail_settings(BACKEND))

    assert error.id == "notifiedby.E002"
    assert error.obj == setting
    assert error.msg.startswith(f"The Django setting {setting} {problem}")
    assert error.hint
    assert "SECRET" not in error.msg + error.hint


def test_a_setting_from_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFIEDBY_MAX_RETRIES", "lots")

    [error] = messages()

    assert error.id == "notifiedby.E002"
    assert error.msg == (
        "The environment variable NOTIFIEDBY_MAX_RETRIES must be a whole number, 0 or more, "
        "got 'lots'."
    )


def test_backend_options_are_checked_without_showing_a_key() -> None:
    # check_settings reads MAILERS whenever it is set, so this runs on every Django version.
    options = {"api_key": "two words-SECRET", "timeout": -1, "ignore_recipients_refused": "x"}
    found = messages(MAILERS={"tenant": {"BACKEND": BACKEND, "OPTIONS": options}})

    assert [(m.id, m.obj) for m in found] == [("notifiedby.E002", "MAILERS['tenant']")] * 3
    assert [m.msg.split(" must ")[0].split(" contains ")[0] for m in found] == [
        "MAILERS['tenant'] OPTIONS['api_key']",
        "MAILERS['tenant'] OPTIONS['timeout']",
        "MAILERS['tenant'] OPTIONS['ignore_recipients_refused']",
    ]
    assert all("SECRET" not in m.msg + (m.hint or "") for m in found)


OUTBOX = "notifiedby.backends.OutboxEmailBackend"


def test_the_outbox_backend_needs_its_keys() -> None:
    [error] = messages(**mail_settings(OUTBOX))

    assert error.id == "notifiedby.E003"
    assert "NOTIFIEDBY_OUTBOX_KEYS is not set" in error.msg
    assert "--generate-key" in (error.hint or "")
    assert messages(**mail_settings(OUTBOX), NOTIFIEDBY_OUTBOX_KEYS=[generate_key()]) == []


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        ("NOTIFIEDBY_OUTBOX_KEYS", ["not-a-fernet-key-SECRET"], "has an invalid key at position 1"),
        ("NOTIFIEDBY_OUTBOX_DELIVERY", "later", "must be one of 'process', 'celery', 'workers'"),
        ("NOTIFIEDBY_OUTBOX_MAX_ATTEMPTS", "many", "must be a whole number"),
        ("NOTIFIEDBY_OUTBOX_LEASE", 0, "must be a positive number of seconds"),
    ],
)
def test_invalid_outbox_settings_are_errors(setting: str, value: object, problem: str) -> None:
    outbox = {"NOTIFIEDBY_OUTBOX_KEYS": [generate_key()], setting: value}

    [error] = messages(**mail_settings(OUTBOX), **outbox)

    assert (error.id, error.obj) == ("notifiedby.E002", setting)
    assert error.msg.startswith(f"The Django setting {setting} {problem}")
    assert "SECRET" not in error.msg + (error.hint or "")
    # Without the outbox backend, its settings are not read.
    assert messages(**mail_settings(BACKEND), **outbox) == []


def test_the_check_runs_under_manage_py_check() -> None:
    from django.core.checks import run_checks

    with override_settings(NOTIFIEDBY_BASE_URL="http://api.example.com"):
        assert "notifiedby.W001" in [m.id for m in run_checks(tags=["notifiedby"])]


def test_import_notifiedby_stays_light_until_the_backend_is_used() -> None:
    code = (
        "import sys, notifiedby\n"
        "print('django.core.mail' in sys.modules)\n"
        "notifiedby.NotifiedByEmailBackend, notifiedby.send_email_via_api\n"
        "print('django.core.mail' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
