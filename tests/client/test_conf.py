"""Settings resolution: argument > Django setting > environment variable > default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from notifiedby.conf import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ClientSettings,
    get_setting,
    mask_secret,
    resolve_client_settings,
    to_max_retries,
    to_timeout,
)
from notifiedby.exceptions import NotifiedByConfigError, NotifiedByError

KEY = "key-from-argument-1234"
REPO = Path(__file__).resolve().parents[2]


def resolve(django: Any = None, env: dict[str, str] | None = None, **arguments: Any):
    return resolve_client_settings(django_settings=django, environ=env or {}, **arguments)


def test_defaults_apply_when_only_the_key_is_given() -> None:
    settings = resolve(api_key=KEY)

    assert settings == ClientSettings(
        api_key=KEY,
        base_url="https://api.notifiedby.com/v1",
        encryption_key=None,
        timeout=DEFAULT_TIMEOUT,
        max_retries=DEFAULT_MAX_RETRIES,
        api_key_source="the api_key argument or email backend option",
    )
    assert DEFAULT_TIMEOUT == (5.0, 30.0)


@pytest.mark.parametrize(
    ("argument", "django", "env", "expected"),
    [
        ("arg", "django", "env", "arg"),
        (None, "django", "env", "django"),
        (None, None, "env", "env"),
        (None, "django", None, "django"),
        (None, None, None, "default"),
    ],
)
def test_precedence_argument_django_environment_default(
    argument: str | None, django: str | None, env: str | None, expected: str
) -> None:
    django_settings = SimpleNamespace(NOTIFIEDBY_BASE_URL=f"https://{django}.test")
    if django is None:
        django_settings = SimpleNamespace(NOTIFIEDBY_BASE_URL=None)  # None counts as not set
    environ = {"NOTIFIEDBY_BASE_URL": f"https://{env}.test"} if env else {}
    base_url = f"https://{argument}.test" if argument else None

    settings = resolve(django_settings, environ, api_key=KEY, base_url=base_url)

    assert settings.base_url == (
        "https://api.notifiedby.com/v1" if expected == "default" else f"https://{expected}.test/v1"
    )


def test_every_setting_comes_from_the_environment_as_strings() -> None:
    env = {
        "NOTIFIEDBY_API_KEY": "env-key",
        "NOTIFIEDBY_ENCRYPTION_KEY": "env-enc",
        "NOTIFIEDBY_BASE_URL": "http://localhost:8000/",
        "NOTIFIEDBY_TIMEOUT": "2.5, 40",
        "NOTIFIEDBY_MAX_RETRIES": "0",
    }

    settings = resolve(env=env)

    assert settings == ClientSettings(
        api_key="env-key",
        base_url="http://localhost:8000/v1",
        encryption_key="env-enc",
        timeout=(2.5, 40.0),
        max_retries=0,
        api_key_source="the environment variable NOTIFIEDBY_API_KEY",
    )


def test_every_setting_comes_from_django_with_python_types() -> None:
    django = SimpleNamespace(
        NOTIFIEDBY_API_KEY="django-key",
        NOTIFIEDBY_ENCRYPTION_KEY="django-enc",
        NOTIFIEDBY_BASE_URL="https://eu.example.com/v1/",
        NOTIFIEDBY_TIMEOUT=(1, 2),
        NOTIFIEDBY_MAX_RETRIES=5,
    )
    env = {"NOTIFIEDBY_API_KEY": "env-key", "NOTIFIEDBY_MAX_RETRIES": "1"}

    settings = resolve(django, env)

    assert settings.api_key == "django-key"
    assert settings.encryption_key == "django-enc"
    assert settings.base_url == "https://eu.example.com/v1"
    assert settings.timeout == (1.0, 2.0)
    assert settings.max_retries == 5


def test_zero_retries_given_explicitly_is_kept_not_replaced_by_lower_levels() -> None:
    django = SimpleNamespace(NOTIFIEDBY_MAX_RETRIES=4)

    assert resolve(django, api_key=KEY, max_retries=0).max_retries == 0
    assert resolve(SimpleNamespace(NOTIFIEDBY_MAX_RETRIES=0), api_key=KEY).max_retries == 0


def test_an_empty_encryption_key_argument_turns_a_configured_one_off() -> None:
    django = SimpleNamespace(NOTIFIEDBY_ENCRYPTION_KEY="django-enc")

    assert resolve(django, api_key=KEY).encryption_key == "django-enc"
    assert resolve(django, api_key=KEY, encryption_key="").encryption_key is None


def test_an_empty_environment_variable_counts_as_not_set() -> None:
    env = {"NOTIFIEDBY_MAX_RETRIES": "", "NOTIFIEDBY_TIMEOUT": ""}

    settings = resolve(env=env, api_key=KEY)

    assert settings.max_retries == DEFAULT_MAX_RETRIES
    assert settings.timeout == DEFAULT_TIMEOUT


def test_a_missing_key_names_the_django_setting_and_the_environment_variable() -> None:
    with pytest.raises(NotifiedByConfigError) as caught:
        resolve()

    message = str(caught.value)
    assert "NOTIFIEDBY_API_KEY in your Django settings" in message
    assert "the NOTIFIEDBY_API_KEY environment variable" in message
    assert "api_key=" in message
    # Also a Django ImproperlyConfigured, and a NotifiedByError.
    from django.core.exceptions import ImproperlyConfigured

    assert isinstance(caught.value, ImproperlyConfigured)
    assert isinstance(caught.value, NotifiedByError)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"NOTIFIEDBY_TIMEOUT": "soon"}, "The environment variable NOTIFIEDBY_TIMEOUT must be"),
        ({"NOTIFIEDBY_TIMEOUT": "0"}, "NOTIFIEDBY_TIMEOUT must be a positive number"),
        ({"NOTIFIEDBY_TIMEOUT": "-1"}, "NOTIFIEDBY_TIMEOUT"),
        ({"NOTIFIEDBY_TIMEOUT": "inf"}, "NOTIFIEDBY_TIMEOUT"),
        ({"NOTIFIEDBY_TIMEOUT": "1,2,3"}, "NOTIFIEDBY_TIMEOUT"),
        ({"NOTIFIEDBY_MAX_RETRIES": "two"}, "NOTIFIEDBY_MAX_RETRIES must be a whole number"),
        ({"NOTIFIEDBY_MAX_RETRIES": "-1"}, "NOTIFIEDBY_MAX_RETRIES"),
        ({"NOTIFIEDBY_MAX_RETRIES": "1.5"}, "NOTIFIEDBY_MAX_RETRIES"),
        ({"NOTIFIEDBY_BASE_URL": "api.notifiedby.com"}, "NOTIFIEDBY_BASE_URL must be an http"),
        ({"NOTIFIEDBY_BASE_URL": "ftp://x.test"}, "NOTIFIEDBY_BASE_URL"),
        ({"NOTIFIEDBY_BASE_URL": "https://u:p@x.test"}, "user name or password"),
        ({"NOTIFIEDBY_BASE_URL": "https://x.test/?a=1"}, "query or fragment"),
        ({"NOTIFIEDBY_BASE_URL": "https://x.test:port"}, "invalid port"),
    ],
)
def test_bad_environment_values_name_the_setting(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(NotifiedByConfigError, match=r"NOTIFIEDBY_|user name|query|port") as caught:
        resolve(env=env, api_key=KEY)

    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("django", "fragment"),
    [
        (SimpleNamespace(NOTIFIEDBY_MAX_RETRIES=True), "The Django setting NOTIFIEDBY_MAX_RET"),
        (SimpleNamespace(NOTIFIEDBY_MAX_RETRIES=2.0), "NOTIFIEDBY_MAX_RETRIES"),
        (SimpleNamespace(NOTIFIEDBY_TIMEOUT=(1,)), "The Django setting NOTIFIEDBY_TIMEOUT"),
        (SimpleNamespace(NOTIFIEDBY_TIMEOUT=False), "NOTIFIEDBY_TIMEOUT"),
        (SimpleNamespace(NOTIFIEDBY_API_KEY=12345), "NOTIFIEDBY_API_KEY must be a string"),
        (SimpleNamespace(NOTIFIEDBY_API_KEY="  "), "NOTIFIEDBY_API_KEY is empty"),
    ],
)
def test_bad_django_values_name_the_setting(django: Any, fragment: str) -> None:
    with pytest.raises(NotifiedByConfigError) as caught:
        resolve(django, {"NOTIFIEDBY_API_KEY": "env-key"})

    assert fragment in str(caught.value)


def test_bad_key_values_are_never_echoed() -> None:
    secret = "sk_live_abc def\n"
    with pytest.raises(NotifiedByConfigError) as caught:
        resolve(api_key=secret)

    assert "sk_live" not in str(caught.value)
    assert "sk_live" not in repr(caught.value)
    assert "The api_key argument contains spaces" in str(caught.value)


def test_keys_are_stripped_of_surrounding_whitespace() -> None:
    assert resolve(env={"NOTIFIEDBY_API_KEY": " k-123\n"}).api_key == "k-123"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, (10.0, 10.0)),
        (0.5, (0.5, 0.5)),
        ((3, 60), (3.0, 60.0)),
        ([3, 60.5], (3.0, 60.5)),
        ("7", (7.0, 7.0)),
        ("1.5,20", (1.5, 20.0)),
    ],
)
def test_to_timeout_accepts_a_number_a_pair_or_a_string(value: Any, expected: Any) -> None:
    assert to_timeout(value) == expected


@pytest.mark.parametrize("value", [None, 0, -1, float("nan"), float("inf"), (1, None), "", True])
def test_to_timeout_refuses_unbounded_or_nonsense_values(value: Any) -> None:
    with pytest.raises(ValueError, match="positive number"):
        to_timeout(value)


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (3, 3), ("4", 4), (" 2 ", 2)])
def test_to_max_retries(value: Any, expected: int) -> None:
    assert to_max_retries(value) == expected


def test_get_setting_without_default_is_required_and_with_default_is_not() -> None:
    with pytest.raises(NotifiedByConfigError, match="NOTIFIEDBY_X is not set"):
        get_setting("NOTIFIEDBY_X", convert=str, django_settings=None, environ={})

    assert get_setting("NOTIFIEDBY_X", default=None, convert=str, django_settings=None) is None


def test_settings_repr_masks_both_keys() -> None:
    settings = resolve(api_key="sk_live_0123456789abcd", encryption_key="enc_0123456789wxyz")

    text = repr(settings)
    assert "api_key='…abcd'" in text
    assert "encryption_key='…wxyz'" in text
    assert "0123456789" not in text


@pytest.mark.parametrize(
    ("value", "shown"),
    [("sk_live_0123456789abcd", "…abcd"), ("short-key", "…"), ("", "…"), (None, "None")],
)
def test_mask_secret_shows_at_most_four_characters_of_long_keys(
    value: str | None, shown: str
) -> None:
    assert mask_secret(value) == shown


# --- The real django.conf.settings, in a fresh interpreter: settings configure once per
# --- process, and other tests in this worker may have configured them already. -----------

_DJANGO_SCRIPT = textwrap.dedent(
    """
    import json, os
    from django.conf import settings
    from notifiedby.conf import resolve_client_settings
    from notifiedby.client import get_default_client

    out = {"configured_before": settings.configured}
    os.environ["NOTIFIEDBY_API_KEY"] = "env-key"
    os.environ["NOTIFIEDBY_MAX_RETRIES"] = "7"
    if os.environ.get("MODE") == "configure":
        settings.configure(NOTIFIEDBY_API_KEY="django-key", NOTIFIEDBY_TIMEOUT=(1, 2))
    out["key"] = resolve_client_settings().api_key
    out["explicit"] = resolve_client_settings(api_key="arg-key").api_key
    out["timeout"] = resolve_client_settings().timeout
    out["retries"] = resolve_client_settings().max_retries
    first = get_default_client()
    out["same_client"] = get_default_client() is first
    if settings.configured:
        from django.test import override_settings
        with override_settings(NOTIFIEDBY_API_KEY="override-key"):
            inside = get_default_client()
            out["override_key"] = inside.settings.api_key
            out["override_rebuilt"] = inside is not first
        out["restored"] = get_default_client().settings.api_key
    print(json.dumps(out))
    """
)


def _run_django_script(**env: str) -> dict[str, Any]:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("NOTIFIEDBY_", "DJANGO_"))
    }
    environment.update(env)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", _DJANGO_SCRIPT],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_without_django_settings_the_environment_is_used() -> None:
    out = _run_django_script()

    assert out["configured_before"] is False
    assert out["key"] == "env-key"
    assert out["explicit"] == "arg-key"
    assert out["same_client"] is True


def test_django_settings_win_over_the_environment_and_override_settings_rebuilds() -> None:
    out = _run_django_script(MODE="configure")

    assert out["key"] == "django-key"
    assert out["explicit"] == "arg-key"
    assert out["timeout"] == [1.0, 2.0]
    assert out["retries"] == 7  # not in Django settings: the environment's
    assert out["same_client"] is True
    assert out["override_key"] == "override-key"
    assert out["override_rebuilt"] is True
    assert out["restored"] == "django-key"


def test_django_settings_module_alone_is_enough(tmp_path: Path) -> None:
    (tmp_path / "nb_test_settings.py").write_text('NOTIFIEDBY_API_KEY = "module-key"\n')

    out = _run_django_script(DJANGO_SETTINGS_MODULE="nb_test_settings", PYTHONPATH=str(tmp_path))

    assert out["configured_before"] is False
    assert out["key"] == "module-key"
    assert out["override_key"] == "override-key"
