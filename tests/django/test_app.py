"""The app, its system checks, and the lazy public names."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.apps import apps
from django.test import override_settings

from notifiedby.checks import check_settings
from tests.django.conftest import BACKEND, HAS_MAILERS


@pytest.fixture(autouse=True)
def _no_sdk_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOTIFIEDBY_API_KEY", "NOTIFIEDBY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def ids(**settings: object) -> list[str]:
    # The test settings send through the backend: give them a key unless the test says.
    settings.setdefault("NOTIFIEDBY_API_KEY", "key-0123456789")
    with override_settings(**settings):
        return [message.id for message in check_settings()]


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
