"""System checks: the email backend has an API key; the base URL is not plain http://.

``notifiedby.E001``: a NotifiedBy email backend is configured but no API key is set.
``notifiedby.E002``: a NotifiedBy setting (or backend option) has an invalid value.
``notifiedby.W001``: the base URL is ``http://`` to a host that is not this machine.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string

from notifiedby._urls import is_loopback
from notifiedby.conf import API_KEY, BASE_URL, DEFAULT_BASE_URL, get_setting, normalise_base_url
from notifiedby.exceptions import NotifiedByConfigError

__all__ = ["check_settings"]


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Check every configured NotifiedBy mailer, and the SDK's own base URL."""
    messages: list[CheckMessage] = []
    for where, options in _notifiedby_mailers():
        messages += _check_api_key(where, options.get("api_key"))
        if options.get("base_url") is not None:
            messages += _check_base_url(f"{where} OPTIONS['base_url']", options["base_url"])
    return messages + _check_base_url(BASE_URL, None)


register(check_settings, "notifiedby")


def _notifiedby_mailers() -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (where it is configured, its options) for each backend that needs an API key."""
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
            yield where, options


def _check_api_key(where: str, api_key: Any) -> list[CheckMessage]:
    try:
        key = get_setting(API_KEY, api_key, default=None, convert=_present)
    except NotifiedByConfigError as exc:
        return [Error(str(exc), obj=where, id="notifiedby.E002")]
    if key is None:
        return [
            Error(
                f"{where} sends email through NotifiedBy, but no API key is set.",
                hint=f"Set {API_KEY} in your settings or environment, or the api_key option.",
                obj=where,
                id="notifiedby.E001",
            )
        ]
    return []


def _check_base_url(where: str, base_url: Any) -> list[CheckMessage]:
    try:
        url = get_setting(
            BASE_URL,
            base_url,
            default=normalise_base_url(DEFAULT_BASE_URL),
            convert=normalise_base_url,
        )
    except NotifiedByConfigError as exc:
        return [Error(str(exc), obj=where, id="notifiedby.E002")]
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


def _present(value: Any) -> Any:
    # The client checks the key's form when it is built; here a blank key counts as none.
    if isinstance(value, str) and not value.strip():
        raise ValueError("is empty")
    return value
