"""List endpoints: one page of a list, by its number or by the server's ``next`` link.

The API answers a list with an envelope ``{"count", "next", "previous", "results"}``; a
server may also answer a bare JSON array (one complete page). Which pages to read is the
business of :mod:`notifiedby._pagination`; the list paths are the models' ``list_path``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from notifiedby.exceptions import NotifiedByAPIError

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient

__all__ = ["RawPage", "decode_page", "follow", "read_page"]


@attrs.frozen
class RawPage:
    """A list answer as read: rows, links, count, and whether it was a bare array."""

    rows: list[Any]
    next: str | None
    previous: str | None
    count: int
    bare: bool


def decode_page(data: Any) -> RawPage:
    """Read a list answer: an envelope, or a bare array taken as one complete page."""
    if isinstance(data, list):  # the documented subscription list: all items, no pages
        return RawPage(rows=data, next=None, previous=None, count=len(data), bare=True)
    if isinstance(data, Mapping) and isinstance(data.get("results"), list):
        rows: list[Any] = data["results"]
        count = data.get("count")
        return RawPage(
            rows=rows,
            next=data.get("next") or None,
            previous=data.get("previous") or None,
            count=count if isinstance(count, int) else len(rows),
            bare=False,
        )
    msg = "The API answered a list request with neither a list nor a page of results."
    raise NotifiedByAPIError(msg, body=data)


def read_page(client: NotifiedByClient, path: str, params: dict[str, Any]) -> RawPage:
    """Read one page of the list at ``path`` (``page`` and ``page_size`` are in ``params``)."""
    return decode_page(client.get(path, params=params))


def follow(client: NotifiedByClient, url: str) -> RawPage:
    """Read the page a ``next`` link names: its path and query, on the client's base URL."""
    return decode_page(client.get(url))
