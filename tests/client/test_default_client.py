"""get_default_client(): built from settings, reused while they hold, rebuilt when they change."""

from __future__ import annotations

import pytest

from notifiedby import NotifiedByClient as LazyClient
from notifiedby.client import NotifiedByClient, get_default_client
from notifiedby.exceptions import NotifiedByConfigError
from notifiedby.sandbox import Sandbox

pytestmark = pytest.mark.usefixtures("no_django_sdk_settings")


def test_the_package_exports_the_client() -> None:
    assert LazyClient is NotifiedByClient


def test_no_key_anywhere_is_a_config_error() -> None:
    with pytest.raises(NotifiedByConfigError, match="NOTIFIEDBY_API_KEY"):
        get_default_client()
    with pytest.raises(NotifiedByConfigError, match="NOTIFIEDBY_API_KEY"):
        NotifiedByClient()


def test_the_default_client_is_reused_with_its_connections(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", sandbox.api_key)
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", sandbox.url)

    first = get_default_client()
    first.get("/email/list/")
    second = get_default_client()
    second.get("/email/list/")

    assert second is first
    assert first.base_url == sandbox.url + "/v1"
    assert len({r.connection_id for r in sandbox.requests}) == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NOTIFIEDBY_API_KEY", "another-key"),
        ("NOTIFIEDBY_ENCRYPTION_KEY", "an-encryption-key"),
        ("NOTIFIEDBY_BASE_URL", "http://localhost:9"),
        ("NOTIFIEDBY_TIMEOUT", "3"),
        ("NOTIFIEDBY_MAX_RETRIES", "0"),
    ],
)
def test_the_default_client_is_rebuilt_when_a_setting_changes(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", sandbox.api_key)
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", sandbox.url)
    before = get_default_client()

    monkeypatch.setenv(name, value)
    after = get_default_client()

    assert after is not before
    assert get_default_client() is after


def test_a_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", "k")
    monkeypatch.setenv("NOTIFIEDBY_TIMEOUT", "forever")

    with pytest.raises(NotifiedByConfigError, match="environment variable NOTIFIEDBY_TIMEOUT"):
        get_default_client()


def test_explicit_arguments_win_over_the_environment(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", "env-key-that-the-sandbox-refuses")
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", "http://localhost:9")
    monkeypatch.setenv("NOTIFIEDBY_MAX_RETRIES", "5")

    client = NotifiedByClient(sandbox.api_key, sandbox.url, max_retries=0, timeout=(1, 2))

    assert client.get("/email/list/")["count"] == 0
    assert client.max_retries == 0
    assert client.timeout == (1.0, 2.0)
