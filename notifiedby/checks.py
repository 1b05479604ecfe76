"""System checks: every NotifiedBy setting and backend option has a usable value.

``notifiedby.E001``: a NotifiedBy email backend is configured but no API key is set.
``notifiedby.E002``: a NotifiedBy setting (or backend option) has an invalid value.
``notifiedby.E003``: the outbox backend is configured but ``NOTIFIEDBY_OUTBOX_KEYS`` is not.
``notifiedby.W001``: the base URL is ``http://`` to a host that is not this machine.
``notifiedby.W002``: the outbox lease is not longer than the client's deadline (the longest a
send can take).

Each message names the setting or option and what is wrong with its value, never a key's
value, and its hint says how to fix it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from notifiedby._urls import is_loopback
from notifiedby.conf import (
    API_KEY,
    BASE_URL,
    DEADLINE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ENCRYPTION_KEY,
    MAX_RESPONSE_BYTES,
    MAX_RETRIES,
    TIMEOUT,
    default_deadline,
    get_setting,
    normalise_base_url,
    to_bool,
    to_byte_count,
    to_count,
    to_key,
    to_max_retries,
    to_optional_key,
    to_seconds,
    to_timeout,
)
from notifiedby.exceptions import NotifiedByConfigError

__all__ = ["check_settings"]


class _Rule(NamedTuple):
    """How to check one setting, and the backend option that stands in for it."""

    setting: str
    option: str | None
    convert: Callable[[Any], Any]
    #: How to fix a bad value.
    hint: str
    #: The check's id when a backend needs the setting and nothing sets it.
    required: str | None = None


_API_KEY_RULE = _Rule(
    API_KEY,
    "api_key",
    to_key,
    "Copy the key from your NotifiedBy account: one line, no spaces.",
    required="notifiedby.E001",
)
#: The settings of every API client, checked whether or not a backend is configured.
_CLIENT_RULES = (
    _Rule(
        BASE_URL,
        "base_url",
        normalise_base_url,
        "Give the API's address, such as https://api.notifiedby.com.",
    ),
    _Rule(
        ENCRYPTION_KEY,
        "encryption_key",
        to_optional_key,
        "Give the encryption key as one string without spaces, or leave it unset.",
    ),
    _Rule(
        TIMEOUT,
        "timeout",
        to_timeout,
        "Give seconds: one positive number such as 10, or a (connect, read) pair such as (5, 30).",
    ),
    _Rule(
        MAX_RETRIES,
        "max_retries",
        to_max_retries,
        "Give a whole number such as 2 (the default); 0 turns retries off.",
    ),
    _Rule(
        DEADLINE,
        "deadline",
        to_seconds,
        "Give the seconds one call may take in all, such as 60, or leave it unset to derive it "
        "from the timeout and retries.",
    ),
    _Rule(
        MAX_RESPONSE_BYTES,
        "max_response_bytes",
        to_byte_count,
        "Give a whole number of bytes, such as 52428800 (50 MiB, the default).",
    ),
)


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check each configured NotifiedBy mailer's key and options, then the settings."""
    messages: list[CheckMessage] = []
    rules = {rule.setting: rule for rule in (*_CLIENT_RULES, *_suppression_rules())}
    outbox = False
    for where, backend, options in _notifiedby_mailers():
        mailer_rules = [_API_KEY_RULE, *_CLIENT_RULES, *_backend_rules()]
        if getattr(backend, "needs_outbox_keys", False):
            mailer_rules += _outbox_rules()
            outbox = True
        for rule in mailer_rules:
            if rule.option is not None and options.get(rule.option) is not None:
                label = f"{where} OPTIONS[{rule.option!r}]"
                messages += _check_value(label, where, rule, options[rule.option])
            elif rule.required is not None:
                messages += _check_present(where, rule, rule.required)
        rules.update((rule.setting, rule) for rule in mailer_rules)
    rules.update((rule.setting, rule) for rule in _tracking_rules())
    for rule in rules.values():
        messages += _check_setting(rule)
    if outbox:
        messages += _check_lease()
    return messages


register(check_settings, "notifiedby")


def _backend_rules() -> list[_Rule]:
    """Return the rules of the email backend's own settings (each a flag)."""
    from notifiedby import backends

    flags = (
        backends.USE_ACCOUNT_TEMPLATE,
        backends.IGNORE_UNSUPPORTED_FEATURES,
        backends.IGNORE_RECIPIENTS_REFUSED,
        backends.STRICT_FROM,
    )
    option = {name: name.removeprefix("NOTIFIEDBY_").lower() for name in flags}
    return [_Rule(name, option[name], to_bool, "Set it to True or False.") for name in flags]


def _suppression_rules() -> list[_Rule]:
    """Return the rules of the suppression list's settings (each a flag)."""
    from notifiedby.suppression.receivers import SUPPRESS_ON_BOUNCE, UNSUBSCRIBE_ON_BOUNCE

    flags = (SUPPRESS_ON_BOUNCE, UNSUBSCRIBE_ON_BOUNCE)
    return [_Rule(name, None, to_bool, "Set it to True or False.") for name in flags]


def _outbox_rules() -> list[_Rule]:
    """Return the rules of the outbox's settings."""
    from notifiedby.outbox.backend import DELIVERIES, DELIVERY, to_delivery
    from notifiedby.outbox.crypto import OUTBOX_KEYS, to_keys
    from notifiedby.outbox.delivery import LEASE, MAX_ATTEMPTS

    choices = ", ".join(map(repr, DELIVERIES))
    return [
        _Rule(DELIVERY, "delivery", to_delivery, f"Use one of {choices}, or leave it unset."),
        _Rule(
            MAX_ATTEMPTS,
            None,
            to_max_retries,
            "Give a whole number of attempts, such as 25 (the default).",
        ),
        _Rule(
            LEASE,
            None,
            to_seconds,
            "Give seconds, more than the longest send can take, such as 300 (the default).",
        ),
        _Rule(
            OUTBOX_KEYS,
            None,
            to_keys,
            "Make a key with manage.py notifiedby_outbox --generate-key; in the environment, "
            "separate the keys with commas.",
            required="notifiedby.E003",
        ),
    ]


def _tracking_rules() -> list[_Rule]:
    """Return the rules of delivery tracking's settings."""
    from notifiedby.tracking import settings as tracking

    return [
        _Rule(tracking.ENABLED, None, to_bool, "Set it to True or False."),
        _Rule(tracking.STORE_SUBJECT, None, to_bool, "Set it to True or False."),
        _Rule(
            tracking.GIVE_UP,
            None,
            to_seconds,
            "Give the seconds after which a pending email is given up, such as 259200 (72 h).",
        ),
        _Rule(
            tracking.RATE,
            None,
            tracking.to_rate,
            "Give the status requests per second one poller may make, such as 100 (the default).",
        ),
        _Rule(
            tracking.CONCURRENCY,
            None,
            to_count,
            "Give a whole number of requests in flight, such as 8 (the default).",
        ),
        _Rule(
            tracking.LEASE,
            None,
            to_seconds,
            "Give seconds, more than the longest status request can take, such as 300.",
        ),
    ]


def _notifiedby_mailers() -> Iterator[tuple[str, type[Any], dict[str, Any]]]:
    """Yield (where it is configured, its class, its options) for each backend that needs
    an API key."""
    if hasattr(settings, "MAILERS"):  # Django 6.1+
        entries = [
            (f"MAILERS[{alias!r}]", config.get("BACKEND", ""), config.get("OPTIONS", {}))
            for alias, config in settings.MAILERS.items()
        ]
    elif settings.is_overridden("EMAIL_BACKEND"):
        # Django 6.1 warns about EMAIL_BACKEND once at start-up; reading it here would repeat it.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            entries = [("EMAIL_BACKEND", settings.EMAIL_BACKEND, {})]
    else:
        return
    for where, path, options in entries:
        try:
            backend = import_string(path)
        except ImportError:
            continue  # Django's own checks and the first send report that
        if getattr(backend, "needs_api_key", False):
            yield where, backend, options


def _check_present(where: str, rule: _Rule, check_id: str) -> list[CheckMessage]:
    """Report a setting that ``where`` needs but no setting or environment variable gives."""
    if get_setting(rule.setting, default=None, convert=_as_is) is not None:
        return []
    option = f", or the backend's {rule.option} option" if rule.option else ""
    return [
        Error(
            f"{where} sends email through NotifiedBy, but {rule.setting} is not set.",
            hint=f"Set {rule.setting} in your settings or environment{option}. {rule.hint}",
            obj=where,
            id=check_id,
        )
    ]


def _check_value(label: str, obj: str, rule: _Rule, value: Any) -> list[CheckMessage]:
    """Check a backend option's value; ``label`` names it in the message."""
    try:
        converted = rule.convert(value)
    except ValueError as exc:
        return [Error(f"{label} {exc}.", hint=rule.hint, obj=obj, id="notifiedby.E002")]
    return _check_plain_http(obj, converted) if rule.setting == BASE_URL else []


def _check_setting(rule: _Rule) -> list[CheckMessage]:
    """Check a setting's value where the SDK finds it: Django setting, else environment."""
    try:
        value = get_setting(rule.setting, default=None, convert=rule.convert)
    except NotifiedByConfigError as exc:
        return [Error(str(exc), hint=rule.hint, obj=rule.setting, id="notifiedby.E002")]
    if rule.setting == BASE_URL and value is not None:
        return _check_plain_http(rule.setting, value)
    return []


def _check_lease() -> list[CheckMessage]:
    """Warn when the outbox lease could end while a send is still running: after it, another
    worker may take the row, and the first send's outcome is not recorded."""
    from notifiedby.outbox.delivery import DEFAULT_LEASE, LEASE

    try:
        lease = get_setting(LEASE, default=DEFAULT_LEASE, convert=to_seconds)
        deadline = get_setting(DEADLINE, default=None, convert=to_seconds)
        if deadline is None:
            timeout = get_setting(TIMEOUT, default=DEFAULT_TIMEOUT, convert=to_timeout)
            retries = get_setting(MAX_RETRIES, default=DEFAULT_MAX_RETRIES, convert=to_max_retries)
            deadline = default_deadline(timeout, retries)
    except NotifiedByConfigError:
        return []  # reported as notifiedby.E002
    if lease > deadline:
        return []
    return [
        Warning(
            f"{LEASE} ({lease:g} s) is not longer than the longest a send can take, the "
            f"client's deadline of {deadline:g} s: another worker may take a row whose send is "
            "still running, and that send's outcome is then not recorded.",
            hint=f"Set {LEASE} above the deadline, with a margin, or lower {DEADLINE}.",
            obj=LEASE,
            id="notifiedby.W002",
        )
    ]


def _check_plain_http(where: str, url: str) -> list[CheckMessage]:
    parts = urlsplit(url)
    if parts.scheme == "http" and not is_loopback(parts.hostname or ""):
        return [
            Warning(
                f"The NotifiedBy base URL {url} is plain http:// to another machine: the API "
                "key would cross the network unencrypted.",
                hint="Use https:// for anything but a sandbox on this machine.",
                obj=where,
                id="notifiedby.W001",
            )
        ]
    return []


def _as_is(value: Any) -> Any:
    return value
