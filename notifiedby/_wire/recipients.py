"""The recipient endpoints: ``POST`` / ``GET /recipients/`` and
``POST /recipients/flags/set/`` / ``/flags/clear/``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from notifiedby._wire.base import clean_email, flags_tuple, json_body, json_object, optional_flags

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient

__all__ = [
    "RECIPIENTS_PATH",
    "FlagsChange",
    "RecipientUpsert",
    "clear_flags",
    "set_flags",
    "upsert",
    "upsert_created",
]

#: Creates or updates a recipient (POST) and lists them (GET, filter ``email``).
RECIPIENTS_PATH = "/recipients/"
FLAGS_SET_PATH = "/recipients/flags/set/"
FLAGS_CLEAR_PATH = "/recipients/flags/clear/"


@attrs.frozen(kw_only=True)
class RecipientUpsert:
    """Create the recipient ``email``, or update it: names given replace the stored ones
    ("" clears one), flags given are added."""

    email: str = attrs.field(converter=clean_email)
    first_name: str | None = None
    last_name: str | None = None
    flags: tuple[str, ...] | None = attrs.field(default=None, converter=optional_flags)


@attrs.frozen(kw_only=True)
class FlagsChange:
    """Flags to set on, or clear from, the recipient ``email``."""

    email: str = attrs.field(converter=clean_email)
    flags: tuple[str, ...] = attrs.field(converter=flags_tuple)


def upsert(client: NotifiedByClient, request: RecipientUpsert) -> dict[str, Any]:
    """Create or update the recipient; return the API's answer (the recipient)."""
    return upsert_created(client, request)[0]


def upsert_created(
    client: NotifiedByClient, request: RecipientUpsert
) -> tuple[dict[str, Any], bool]:
    """Create or update the recipient; return the API's answer (the recipient) and whether
    it was created: the API answers 201 for a new recipient, 200 for an update."""
    statuses: list[int] = []
    answer = client.request(
        "POST", RECIPIENTS_PATH, json=json_body(request), on_status=statuses.append
    )
    return json_object(answer, "a recipient upsert"), statuses == [201]


def set_flags(client: NotifiedByClient, request: FlagsChange) -> dict[str, Any]:
    """Set the flags (unknown names are created); return the API's answer (``message``)."""
    return json_object(client.post(FLAGS_SET_PATH, json=json_body(request)), "a flags change")


def clear_flags(client: NotifiedByClient, request: FlagsChange) -> dict[str, Any]:
    """Clear the flags; return the API's answer (``message``)."""
    return json_object(client.post(FLAGS_CLEAR_PATH, json=json_body(request)), "a flags change")
