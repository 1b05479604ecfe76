"""Resolve the SDK's settings.

Each setting is looked up in this order, and the first place that gives a value wins:

1. the explicit argument (``NotifiedByClient(api_key=...)``); ``None`` means "not given";
2. the Django setting of that name, when Django settings are configured (or
   ``DJANGO_SETTINGS_MODULE`` names them); a setting set to ``None`` counts as not set;
3. the environment variable of the same name; an empty variable counts as not set;
4. the default. ``NOTIFIEDBY_API_KEY`` has none: without it you get a NotifiedByConfigError
   that names both the Django setting and the environment variable.

Values from the environment are strings and are converted; a value that can't be converted
raises NotifiedByConfigError naming the setting and where it came from. Key values are never
echoed in an error.
"""

from __future__ import annotations

import enum
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, TypeVar

import attrs

from notifiedby._urls import normalise_base_url
from notifiedby.exceptions import NotifiedByConfigError

__all__ = [
    "API_KEY",
    "BASE_URL",
    "DEADLINE",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ENCRYPTION_KEY",
    "MAX_RESPONSE_BYTES",
    "MAX_RETRIES",
    "MAX_RETRY_AFTER",
    "TIMEOUT",
    "UNSET",
    "ClientSettings",
    "Source",
    "TimeoutArg",
    "default_deadline",
    "find_setting",
    "get_setting",
    "mask_secret",
    "normalise_base_url",
    "resolve_client_settings",
    "source_text",
    "to_bool",
    "to_byte_count",
    "to_count",
    "to_key",
    "to_max_retries",
    "to_optional_key",
    "to_seconds",
    "to_timeout",
]

API_KEY: Final = "NOTIFIEDBY_API_KEY"
ENCRYPTION_KEY: Final = "NOTIFIEDBY_ENCRYPTION_KEY"
BASE_URL: Final = "NOTIFIEDBY_BASE_URL"
TIMEOUT: Final = "NOTIFIEDBY_TIMEOUT"
MAX_RETRIES: Final = "NOTIFIEDBY_MAX_RETRIES"
DEADLINE: Final = "NOTIFIEDBY_DEADLINE"
MAX_RESPONSE_BYTES: Final = "NOTIFIEDBY_MAX_RESPONSE_BYTES"

DEFAULT_BASE_URL: Final = "https://api.notifiedby.com"
#: (connect, read) in seconds. There is no way to ask for "no timeout": a hung server must
#: never hang the web request or worker that called us.
DEFAULT_TIMEOUT: Final[tuple[float, float]] = (5.0, 30.0)
DEFAULT_MAX_RETRIES: Final[int] = 2
#: Seconds: a Retry-After longer than this is not waited for, so no wait between two attempts
#: of a call is longer (the backoff itself stays under 8 s).
MAX_RETRY_AFTER: Final = 30.0
#: Bytes: a bigger answer is refused unread. The API's answers are a few kilobytes; this only
#: stops a broken or hostile server from filling the memory.
DEFAULT_MAX_RESPONSE_BYTES: Final[int] = 50 * 2**20

#: A timeout as callers give it: one number for both phases, or a (connect, read) pair.
TimeoutArg = float | tuple[float, float]
#: Where a setting's value came from.
Source = Literal["argument", "django", "environment", "default"]

T = TypeVar("T")

#: Printable ASCII without spaces: anything else would be refused by http.client, whose error
#: message would then contain the header value, that is, the key.
_TOKEN = re.compile(r"[\x21-\x7e]+")


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: "Not given", distinct from None (which may be a real value, such as "no Django settings").
UNSET: Final = _Unset.UNSET


def mask_secret(value: str | None) -> str:
    """Return a key shown safely: its last 4 characters, only when the key is long enough that
    they give little away; ``"…"`` otherwise."""
    if value is None:
        return "None"
    return "…" + value[-4:] if len(value) >= 12 else "…"


def _repr_secret(value: str | None) -> str:
    return repr(mask_secret(value))


@attrs.frozen
class ClientSettings:
    """The resolved, validated settings of one client; equal settings mean an equal client."""

    api_key: str = attrs.field(repr=_repr_secret)
    base_url: str
    encryption_key: str | None = attrs.field(repr=_repr_secret)
    timeout: tuple[float, float]
    max_retries: int
    #: Where the API key came from, in words, for the hint of a 401 ("the Django setting ...").
    api_key_source: str
    #: Seconds one call may take in all, attempts and waits included; None: the client derives
    #: it from the timeout and max_retries (:func:`default_deadline`).
    deadline: float | None = None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES


def default_deadline(
    timeout: tuple[float, float], max_retries: int, longest_wait: float = MAX_RETRY_AFTER
) -> float:
    """Return the deadline of a call when none is set: the longest the call could take
    without one, ``(max_retries + 1) * (connect + read) + max_retries * longest_wait``.

    So a deadline derived this way never cuts short a call that answers within its timeouts;
    it only stops one that a server keeps alive by trickling bytes.
    """
    connect, read = timeout
    return (max_retries + 1) * (connect + read) + max_retries * longest_wait


# --- Converters: each takes a raw value (any type from Django, str from the environment),
# --- returns the typed value or raises ValueError with a sentence fragment. --------------


def to_key(value: Any) -> str:
    """Return an API or encryption key: a non-empty string of printable ASCII, no spaces
    (surrounding white space removed). Errors never repeat the key."""
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {type(value).__name__}")
    key = value.strip()  # a trailing newline from a secrets file is a common accident
    if not key:
        raise ValueError("is empty")
    if not _TOKEN.fullmatch(key):
        raise ValueError("contains spaces, control or non-ASCII characters")
    return key


def to_optional_key(value: Any) -> str | None:
    """Return a key as :func:`to_key` does, or None for an empty string ("no key", which
    overrides a key configured at a lower level)."""
    if isinstance(value, str) and not value.strip():
        return None
    return to_key(value)


def _to_seconds(value: Any) -> float:
    if isinstance(value, str):
        value = float(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError
    seconds = float(value)
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError
    return seconds


def to_timeout(value: Any) -> tuple[float, float]:
    """Return a (connect, read) pair from a number, a pair, or a string ``"10"`` / ``"5,30"``.

    One number means both phases, as in requests. Both must be positive and finite.
    """
    raw = value
    if isinstance(value, str) and "," in value:
        value = value.split(",")
    try:
        if isinstance(value, (tuple, list)):
            if len(value) != 2:
                raise ValueError
            return (_to_seconds(value[0]), _to_seconds(value[1]))
        seconds = _to_seconds(value)
    except (TypeError, ValueError):
        msg = f"must be a positive number of seconds or a (connect, read) pair, got {raw!r}"
        raise ValueError(msg) from None
    return (seconds, seconds)


def to_seconds(value: Any) -> float:
    """Return a duration: a positive, finite number of seconds (a number or a string)."""
    try:
        return _to_seconds(value)
    except (TypeError, ValueError):
        raise ValueError(f"must be a positive number of seconds, got {value!r}") from None


def to_count(value: Any) -> int:
    """Return a whole number above 0 (a number or a string of digits)."""
    raw = value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"must be a whole number above 0, got {raw!r}")
    return value


def to_byte_count(value: Any) -> int:
    """Return a size in bytes: a whole number above 0 (a number or a string of digits)."""
    try:
        return to_count(value)
    except ValueError:
        raise ValueError(f"must be a whole number of bytes above 0, got {value!r}") from None


def to_max_retries(value: Any) -> int:
    """Return a retry count: a whole number, 0 or more (0 turns retries off)."""
    raw = value
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"must be a whole number, 0 or more, got {raw!r}")
    return value


_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off"})


def to_bool(value: Any) -> bool:
    """Return a flag from a bool or a string (``true/false/1/0/yes/no/on/off``, any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"must be True or False, got {value!r}")


# --- The resolver. ------------------------------------------------------------------------


def _django_settings() -> Any:
    """Return Django's settings when they are (or can be) configured, else None."""
    from django.conf import settings

    if settings.configured:
        return settings
    module = os.environ.get("DJANGO_SETTINGS_MODULE")
    if not module:
        return None
    # Django configures itself on first attribute access; a project that only exported the
    # variable still means its settings to apply.
    try:
        settings.INSTALLED_APPS  # noqa: B018 - the access configures Django
    except ImportError as exc:
        msg = f"DJANGO_SETTINGS_MODULE is {module!r}, which cannot be imported"
        raise NotifiedByConfigError(msg) from exc
    return settings


def get_setting(
    name: str,
    value: Any = None,
    *,
    default: T | Literal[_Unset.UNSET] = UNSET,
    convert: Callable[[Any], T],
    django_settings: Any = UNSET,
    environ: Mapping[str, str] | None = None,
) -> T:
    """Return setting ``name``: ``value`` > Django setting > environment variable > default.

    ``convert`` checks and converts whatever was found (also the default is returned as is).
    ``django_settings`` is Django's settings object, None for "no Django", or UNSET to look it
    up; ``environ`` defaults to ``os.environ``. Both exist so tests can pass their own.
    Raise NotifiedByConfigError when a value is invalid, or when nothing gives a value and
    there is no default.
    """
    found, _ = find_setting(
        name,
        value,
        default=default,
        convert=convert,
        django_settings=django_settings,
        environ=environ,
    )
    return found


def find_setting(
    name: str,
    value: Any = None,
    *,
    default: T | Literal[_Unset.UNSET] = UNSET,
    convert: Callable[[Any], T],
    django_settings: Any = UNSET,
    environ: Mapping[str, str] | None = None,
) -> tuple[T, Source]:
    """Return setting ``name`` as :func:`get_setting` does, and where it came from."""
    if django_settings is UNSET:
        django_settings = _django_settings()
    env = os.environ if environ is None else environ
    candidates: list[tuple[Any, Source]] = [
        (value, "argument"),
        (None if django_settings is None else getattr(django_settings, name, None), "django"),
        (env.get(name) or None, "environment"),
    ]
    for raw, source in candidates:
        if raw is None:
            continue
        try:
            return convert(raw), source
        except ValueError as exc:
            where = source_text(name, source)
            raise NotifiedByConfigError(f"{where[0].upper()}{where[1:]} {exc}.") from None
    if default is UNSET:
        msg = (
            f"{name} is not set. Pass {_argument_name(name)}=..., set {name} in your Django "
            f"settings, or set the {name} environment variable."
        )
        raise NotifiedByConfigError(msg)
    return default, "default"


def source_text(name: str, source: Source) -> str:
    """Return where setting ``name`` came from, in words: ``"the Django setting NAME"``."""
    if source == "argument":
        return f"the {_argument_name(name)} argument"
    if source == "django":
        return f"the Django setting {name}"
    if source == "environment":
        return f"the environment variable {name}"
    return "the default"


def _argument_name(name: str) -> str:
    return name.removeprefix("NOTIFIEDBY_").lower()


def resolve_client_settings(
    api_key: str | None = None,
    base_url: str | None = None,
    *,
    encryption_key: str | None = None,
    timeout: TimeoutArg | None = None,
    max_retries: int | None = None,
    deadline: float | None = None,
    max_response_bytes: int | None = None,
    django_settings: Any = UNSET,
    environ: Mapping[str, str] | None = None,
) -> ClientSettings:
    """Resolve every client setting (see the module docstring for the order)."""
    if django_settings is UNSET:
        django_settings = _django_settings()
    where: dict[str, Any] = {"django_settings": django_settings, "environ": environ}
    key, key_source = find_setting(API_KEY, api_key, convert=to_key, **where)
    return ClientSettings(
        api_key=key,
        base_url=get_setting(
            BASE_URL,
            base_url,
            default=normalise_base_url(DEFAULT_BASE_URL),
            convert=normalise_base_url,
            **where,
        ),
        encryption_key=get_setting(
            ENCRYPTION_KEY, encryption_key, default=None, convert=to_optional_key, **where
        ),
        timeout=get_setting(TIMEOUT, timeout, default=DEFAULT_TIMEOUT, convert=to_timeout, **where),
        max_retries=get_setting(
            MAX_RETRIES, max_retries, default=DEFAULT_MAX_RETRIES, convert=to_max_retries, **where
        ),
        # An email backend passes its api_key option to the client as this argument.
        api_key_source=(
            "the api_key argument or email backend option"
            if key_source == "argument"
            else source_text(API_KEY, key_source)
        ),
        deadline=get_setting(DEADLINE, deadline, default=None, convert=to_seconds, **where),
        max_response_bytes=get_setting(
            MAX_RESPONSE_BYTES,
            max_response_bytes,
            default=DEFAULT_MAX_RESPONSE_BYTES,
            convert=to_byte_count,
            **where,
        ),
    )
