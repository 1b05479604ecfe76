"""The shapes of a list answer, and the arithmetic of page numbers and sizes.

The API pages lists by number from 1 in an envelope ``{"count", "next", "previous",
"results"}``; a server may also answer a bare JSON array (one complete page).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import attrs

from notifiedby.exceptions import NotifiedByAPIError, NotifiedByNotFoundError

if TYPE_CHECKING:
    from notifiedby.resources.base import WireModel

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Page",
    "RawPage",
    "decode_page",
    "page_window",
    "real_page_size",
]

#: The page size asked for when the end of what is wanted is not known.
DEFAULT_PAGE_SIZE = 100
#: The largest page size the API accepts (contract, section 4).
MAX_PAGE_SIZE = 500

M = TypeVar("M", bound="WireModel")


@attrs.frozen(eq=False)
class Page(Generic[M]):
    """One page of a list, used like Django's ``Page``: iterate it, ``len()`` it, index it.

    ``count``, ``next``, ``previous`` and ``results`` are the API's envelope (a bare JSON
    array is one whole page); ``number`` is the page's number, from 1.
    """

    number: int
    count: int
    next: str | None
    previous: str | None
    results: list[M]

    def __iter__(self) -> Iterator[M]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    @overload
    def __getitem__(self, index: int) -> M: ...

    @overload
    def __getitem__(self, index: slice) -> list[M]: ...

    def __getitem__(self, index: int | slice) -> M | list[M]:
        return self.results[index]

    def has_next(self) -> bool:
        """Return whether a page follows this one (the server gave a ``next`` link)."""
        return self.next is not None

    def has_previous(self) -> bool:
        """Return whether a page comes before this one."""
        return self.number > 1

    def has_other_pages(self) -> bool:
        """Return whether there is a page before or after this one."""
        return self.has_previous() or self.has_next()

    def next_page_number(self) -> int:
        """Return the next page's number; raise NotifiedByNotFoundError on the last page."""
        if not self.has_next():
            msg = f"There is no page after page {self.number}: it is the last page."
            raise NotifiedByNotFoundError(msg)
        return self.number + 1

    def previous_page_number(self) -> int:
        """Return the previous page's number; raise NotifiedByNotFoundError on page 1."""
        if not self.has_previous():
            raise NotifiedByNotFoundError("There is no page before page 1.")
        return self.number - 1

    def to_dict(self) -> dict[str, Any]:
        """Return the page as the API's envelope, with each result as a plain dict."""
        results = [obj.to_dict() for obj in self.results]
        return {
            "count": self.count,
            "next": self.next,
            "previous": self.previous,
            "results": results,
        }


@attrs.frozen
class RawPage:
    """A list answer as read: rows, links, count, and whether it was a bare array."""

    rows: list[Any]
    next: str | None
    previous: str | None
    count: int
    bare: bool


def page_window(low: int, limit: int | None, chunk_size: int | None) -> tuple[int, int]:
    """Return the page size and first page number covering ``limit`` items from ``low``.

    For a bounded slice it picks the smallest page size for which the slice fits in one
    page, so ``qs[:10]`` and ``qs[40:50]`` are one request each.
    """
    if chunk_size is not None or limit is None:
        size = chunk_size or DEFAULT_PAGE_SIZE
        return size, low // size + 1
    last = low + limit - 1
    for size in range(limit, MAX_PAGE_SIZE + 1):
        if low // size == last // size:
            return size, low // size + 1
    return MAX_PAGE_SIZE, low // MAX_PAGE_SIZE + 1


def real_page_size(page: RawPage, number: int, asked: int) -> int:
    """Learn the page size the server really used (it may ignore ``page_size``)."""
    if page.next is not None:  # a page with a successor is full
        return len(page.rows)
    if number > 1 and page.rows and (page.count - len(page.rows)) % (number - 1) == 0:
        # The last page: the pages before it hold what this one does not.
        return max(1, (page.count - len(page.rows)) // (number - 1))
    return asked


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
