"""What every endpoint shares: the argument checks, the JSON body, the answer's type."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from notifiedby.exceptions import NotifiedByAPIError, NotifiedByInvalidArgument

__all__ = [
    "clean_choice",
    "clean_email",
    "clean_flags",
    "clean_id",
    "clean_text",
    "clean_trigger",
    "flags_tuple",
    "invalid",
    "json_body",
    "json_object",
    "optional_flags",
]


def invalid(argument: str, message: str) -> NotifiedByInvalidArgument:
    """Return the error for ``argument``, refused before any request."""
    return NotifiedByInvalidArgument(f"{argument}: {message}", argument=argument)


def clean_email(value: object, argument: str = "email") -> str:
    """Return ``value`` as an email address, or raise naming ``argument``.

    Accepts a string or anything with an ``email`` attribute (a Recipient, a Django user).
    """
    if not isinstance(value, str):
        value = getattr(value, "email", value)
    if not isinstance(value, str):
        raise invalid(argument, f"expected an email address, got {type(value).__name__}.")
    # Imported here: Django's validators are not needed until the first address is checked.
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(value)
    except ValidationError:
        raise invalid(argument, f"{value!r} is not a valid email address.") from None
    return value


def clean_trigger(value: object, argument: str = "flow_trigger") -> str:
    """Return ``value`` as a flow trigger (a non-empty string), or raise naming ``argument``."""
    trigger = getattr(value, "trigger", value)  # a Flow handle stands for its trigger
    if not isinstance(trigger, str):
        raise invalid(argument, f"expected a flow trigger string, got {type(trigger).__name__}.")
    if not trigger.strip():
        raise invalid(argument, "the flow trigger must not be empty.")
    return trigger


def clean_flags(value: object, argument: str = "flags") -> list[str]:
    """Return ``value`` as a list of flag names, without duplicates, in the given order.

    A single string is one flag, never its characters. Flag names can't be empty or contain a
    comma, because the API reads a comma-separated string as several flags.
    """
    if value is None:
        return []
    if isinstance(value, str):
        items: Iterable[object] = [value]
    elif isinstance(value, (bytes, bytearray, Mapping)) or not isinstance(value, Iterable):
        raise invalid(
            argument, f"expected a flag name or a list of flag names, got {type(value).__name__}."
        )
    else:
        items = value
    flags: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise invalid(argument, f"flag names must be strings, got {type(item).__name__}.")
        if not item.strip() or "," in item:
            raise invalid(argument, f"{item!r} is not a valid flag name (empty or has a comma).")
        if item not in flags:
            flags.append(item)
    return flags


def flags_tuple(value: object) -> tuple[str, ...]:
    """Return the checked flags as a tuple, for a frozen request."""
    return tuple(clean_flags(value))


def optional_flags(value: object) -> tuple[str, ...] | None:
    """Return the checked flags as a tuple, or None (nothing to send) for None."""
    return None if value is None else flags_tuple(value)


def clean_choice(choices: Iterable[str]) -> Callable[[Any, str], Any]:
    """Return a ``clean`` function that accepts only one of ``choices``."""
    allowed = tuple(choices)

    def clean(value: Any, argument: str) -> Any:
        if value not in allowed:
            raise invalid(argument, f"{value!r} is not one of {', '.join(allowed)}.")
        return value

    return clean


def clean_id(value: object, argument: str = "email_id") -> str:
    """Return ``value`` as an email's id (a non-empty string), or raise naming ``argument``."""
    if not isinstance(value, str) or not value.strip():
        msg = f"expected the email's id (a non-empty string), got {value!r}."
        raise invalid(argument, msg)
    return value


def clean_text(value: object, argument: str) -> str:
    """Return ``value`` if it is a string, or raise naming ``argument``."""
    if not isinstance(value, str):
        raise invalid(argument, f"expected a string, got {type(value).__name__}.")
    return value


def json_body(request: Any, *, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return the fields of the attrs ``request`` as a JSON body: None means "not sent"."""
    return {
        field.name: list(value) if isinstance(value, tuple) else value
        for field in attrs.fields(type(request))
        if field.name not in leave_out and (value := getattr(request, field.name)) is not None
    }


def json_object(answer: Any, what: str) -> dict[str, Any]:
    """Return ``answer`` if it is a JSON object; else raise, naming the call (``what``)."""
    if isinstance(answer, dict):
        return answer
    msg = f"The API answered {what} with {type(answer).__name__}, not a JSON object."
    raise NotifiedByAPIError(msg, body=answer)
