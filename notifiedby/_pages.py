"""One page of a list as ``qs.page(n)`` returns it, used like Django's ``Page``.

How pages are read is :mod:`notifiedby._pagination`'s business.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import attrs

from notifiedby.exceptions import NotifiedByNotFoundError

if TYPE_CHECKING:
    from notifiedby.resources.base import WireModel

__all__ = ["Page"]

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
