"""Reading a list endpoint page by page: the one class that does it, and its arithmetic.

The API numbers pages from 1 and takes a ``page_size``; an answer links to the next page
(``next``, an absolute URL) until the last, whose ``next`` is null. A server may ignore
``page_size`` and cut pages of its own size, ignore a filter, or answer a bare JSON array
(one complete page): :class:`ModelIterable` reads the fewest pages when the server does as
asked, and still the right objects when it does not.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from notifiedby._fields import resolve
from notifiedby._ordering import Ordering, sort_rows
from notifiedby._pages import Page
from notifiedby._wire import lists
from notifiedby._wire.lists import RawPage
from notifiedby.exceptions import NotifiedByInvalidArgument, NotifiedByNotFoundError

if TYPE_CHECKING:
    from notifiedby._queryset import BaseQuerySet
    from notifiedby.client import NotifiedByClient
    from notifiedby.resources.base import Resource

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "FlatValuesListIterable",
    "ModelIterable",
    "NamedValuesListIterable",
    "ValuesIterable",
    "ValuesListIterable",
    "first_page_to_read",
    "server_page_size",
]

#: The page size asked for when the end of what is wanted is not known.
DEFAULT_PAGE_SIZE = 100
#: The largest page size the API accepts (contract, section 4).
MAX_PAGE_SIZE = 500

M = TypeVar("M", bound="Resource")


def first_page_to_read(low: int, limit: int | None, chunk_size: int | None) -> tuple[int, int]:
    """Return ``(page_size, page_number)``: the page to ask for first to read from item ``low``.

    A bounded slice asks for the smallest page that holds all of it, so it costs one request.
    ``qs[10:15]`` wants items 10 to 14: pages of 5 hold them on page 3. ``qs[3:9]`` wants
    items 3 to 8: pages of 6, 7 and 8 each end between them, pages of 9 hold both on page 1.

    An unbounded read, one with ``chunk_size``, and a slice no page of MAX_PAGE_SIZE holds
    start on the page that holds ``low`` and follow the ``next`` links from there.
    """
    if chunk_size is not None or limit is None:
        size = chunk_size or DEFAULT_PAGE_SIZE
    else:
        size = _smallest_page_holding(low, low + limit - 1)
    return size, low // size + 1


def _smallest_page_holding(first: int, last: int) -> int:
    """Return the smallest page size that puts items ``first`` and ``last`` on one page."""
    # Pages of ``size`` hold items k*size to (k+1)*size - 1: two items share a page when
    # their quotients by ``size`` are equal.
    for size in range(last - first + 1, MAX_PAGE_SIZE + 1):
        if first // size == last // size:
            return size
    return MAX_PAGE_SIZE


def server_page_size(page: RawPage, number: int, asked: int) -> int:
    """Return the size of the server's pages, learnt from ``page``, its page ``number``,
    which was asked for with ``asked`` objects a page (a server may ignore that).

    - A page with a ``next`` link is full, so its length is the size.
    - A last page holds what the full pages before it do not: a page 4 of 2 rows out of 23
      objects leaves 21 for pages 1 to 3, so the size is 7. When the rest does not divide
      evenly among the pages before, the count is not to be trusted.
    - Otherwise (page 1 with no ``next``, an empty page) nothing tells: the size is ``asked``.
    """
    if page.next is not None:
        return len(page.rows)
    before = page.count - len(page.rows)
    if number > 1 and page.rows and before % (number - 1) == 0:
        # At least 1, whatever the count says: positions are divided by it next.
        return max(1, before // (number - 1))
    return asked


class ModelIterable(Generic[M]):
    """Yield a queryset's objects, reading pages only as the loop reaches them.

    With the server's filters alone, objects are found by their position; with a filter
    only this SDK checks, by counting matches from page 1. Every object is checked against
    every filter, because a server may ignore one; an object that does not match is never
    yielded. An ordered query reads every match and sorts (:mod:`notifiedby._ordering`).
    Subclasses yield something else for each object (:meth:`row`), as ``values()`` does.
    """

    def __init__(self, queryset: BaseQuerySet[M], chunk_size: int | None = None) -> None:
        self.queryset = queryset
        self.chunk_size = chunk_size
        self._client: NotifiedByClient | None = None

    @property
    def client(self) -> NotifiedByClient:
        # Resolved on first use, so a query that needs no request needs no settings either.
        if self._client is None:
            self._client = self.queryset._get_client()
        return self._client

    def __iter__(self) -> Iterator[Any]:
        qs = self.queryset
        if qs._empty or (qs._high is not None and qs._high <= qs._low):
            return
        if qs._is_sorted():
            ordering = Ordering(qs.model, qs._ordering, qs._reversed)
            matches = enumerate(self._objects(0, None))
            decorated = ((ordering.key(obj, n), self.row(obj)) for n, obj in matches)
            yield from sort_rows(decorated, qs._low, qs._high)
        else:
            yield from map(self.row, self._objects(qs._low, qs._limit()))

    def row(self, obj: M) -> Any:
        """Return what the query yields for ``obj``: the object itself."""
        return obj

    def _objects(self, low: int, limit: int | None) -> Iterator[M]:
        """Yield ``limit`` matching objects (all, if None) from match ``low``, in the API's
        order."""
        if self.queryset._has_local_filters():
            # The server can't apply that filter, so its positions count other objects.
            return self._scan(low, limit)
        return self._positional(low, limit)

    def count(self) -> int:
        """Count the matches with one request when the server's count can be trusted."""
        qs = self.queryset
        if qs._empty:
            return 0
        if qs._has_local_filters():
            return self._count_scanning()
        page = self._read(1, 1)
        objects = self._build(page.rows)
        if page.bare:
            total = sum(1 for obj in objects if self._matches(obj))
        elif not all(map(self._matches, objects)):
            # The server ignored a filter, so its count is of the wrong objects. (A server
            # that also ignores page_size shows it on any of the page's objects.)
            return self._count_scanning()
        else:
            total = page.count
        high = total if qs._high is None else min(total, qs._high)
        return max(0, high - qs._low)

    def _count_scanning(self) -> int:
        qs = self.queryset
        return sum(1 for _ in self._scan(qs._low, qs._limit()))

    def page(self, number: int, page_size: int | None) -> Page[M]:
        """Read one page as the server cuts them, keeping only the matching objects."""
        if self.queryset._empty:
            if number > 1:  # as a server answers for a page past the end
                raise NotifiedByNotFoundError("Invalid page.")
            return Page(number=1, count=0, next=None, previous=None, results=[])
        page = self._read(number, page_size)
        if page.bare and number > 1:
            raise NotifiedByNotFoundError("Invalid page.", status_code=404)
        results = [obj for obj in self._build(page.rows) if self._matches(obj)]
        return Page(
            number=number,
            count=page.count,
            next=page.next,
            previous=page.previous,
            results=results,
        )

    # --- Reading by position ------------------------------------------------------------

    def _positional(self, low: int, limit: int | None) -> Iterator[M]:
        """Yield ``limit`` objects (all, if None) from item ``low``, trusting the server's
        positions: start on the page that holds ``low``, then follow ``next``.

        That is one request for a slice when the server does as asked, and three fallbacks
        when it does not:

        1. The page asked for is missing: page 1 tells whether the list is shorter than
           ``low`` or the server's pages are bigger than asked (:meth:`_locate`).
        2. The server's pages are another size: read the page of that size holding ``low``.
        3. An object does not match a filter: the server ignored it, so its positions count
           the wrong objects; count matches from page 1 instead (:meth:`_scan`).

        For example, with 23 objects and a server that cuts pages of 7 whatever it is asked,
        ``qs[10:15]`` asks for page 3 of size 5 and gets objects 14 to 20 with a ``next``
        link: pages are of 7 (fallback 2), so object 10 is the fourth of page 2. Page 2
        gives 10 to 13, its ``next`` link gives 14: three requests.
        """
        start = self._locate(low, limit)
        if start is None:
            return
        page, offset = start
        yielded = 0
        for objects in self._pages_from(page):
            if not all(map(self._matches, objects)):  # fallback 3
                rest = None if limit is None else limit - yielded
                yield from self._scan(low + yielded, rest)
                return
            end = None if limit is None else offset + limit - yielded
            wanted = objects[offset:end]
            yield from wanted
            yielded += len(wanted)
            if yielded == limit:
                return
            offset = 0

    def _locate(self, low: int, limit: int | None) -> tuple[RawPage, int] | None:
        """Read the page that holds item ``low``; return it with ``low``'s index on it, or
        None when ``low`` is past the end of the list (fallbacks 1 and 2 above)."""
        size, number = first_page_to_read(low, limit, self.chunk_size)
        page = self._read_unless_past_end(number, size)
        missing = None
        if page is None:  # fallback 1
            missing, number, page = number, 1, self._read(1, size)
        if page.bare:  # the whole list, whichever page was asked for
            return page, low
        real = server_page_size(page, number, size)
        holding = low // real + 1
        if holding != number:  # fallback 2
            found = None if holding == missing else self._read_unless_past_end(holding, size)
            if found is None:
                return None
            page, number = found, holding
        return page, low - (number - 1) * real

    # --- Reading by counting matches ----------------------------------------------------

    def _scan(self, skip: int, limit: int | None) -> Iterator[M]:
        """Read every page from the first, yielding ``limit`` matches (all, if None) after
        the first ``skip``."""
        yielded = 0
        for objects in self._pages_from(self._read(1, self.chunk_size or DEFAULT_PAGE_SIZE)):
            for obj in objects:
                if not self._matches(obj):
                    continue
                if skip:
                    skip -= 1
                    continue
                yield obj
                yielded += 1
                if yielded == limit:
                    return

    # --- Requests -----------------------------------------------------------------------

    def _pages_from(self, page: RawPage) -> Iterator[list[M]]:
        """Yield the objects of ``page``, then of each page its ``next`` links lead to.

        The next page is read only when the loop asks for it.
        """
        while True:
            yield self._build(page.rows)
            if page.next is None:
                return
            # ``next`` is an absolute URL; the client reads its path and query on the base
            # URL, so its form is the server's business.
            page = lists.follow(self.client, page.next)

    def _read(self, number: int, size: int | None) -> RawPage:
        """Read page ``number`` of the list, ``size`` objects a page (the server's if None)."""
        qs = self.queryset
        if qs.model.list_path is None:
            msg = f"The API has no endpoint that lists {qs.model.__name__} objects."
            raise NotifiedByInvalidArgument(msg)
        params: dict[str, Any] = qs._server_params()
        if size is not None:
            params["page_size"] = size
        if number > 1:
            params["page"] = number
        return lists.read_page(self.client, qs.model.list_path, params)

    def _read_unless_past_end(self, number: int, size: int) -> RawPage | None:
        """Read page ``number``; None when it lies past the end (the API answers 404)."""
        try:
            return self._read(number, size)
        except NotifiedByNotFoundError:
            if number == 1:  # page 1 always exists: its 404 means something else
                raise
            return None

    def _build(self, rows: list[Any]) -> list[M]:
        client = self.client
        from_api = self.queryset.model.from_api
        return [from_api(row, client) for row in rows]

    def _matches(self, obj: M) -> bool:
        return self.queryset._matches(obj)


# --- values() and values_list(): rows of the selected fields ----------------------------------


class ValuesIterable(ModelIterable[Any]):
    """Yield a dict of the selected fields for each object (``values()``)."""

    def __init__(self, queryset: BaseQuerySet[Any], chunk_size: int | None = None) -> None:
        super().__init__(queryset, chunk_size)
        #: The selected fields, checked when ``values()`` was called.
        self.fields = [resolve(queryset.model, name) for name in queryset._fields]

    def row(self, obj: Any) -> Any:
        return {field.name: field.read(obj) for field in self.fields}


class ValuesListIterable(ValuesIterable):
    """Yield a tuple of the selected fields for each object (``values_list()``)."""

    def row(self, obj: Any) -> Any:
        return tuple(field.read(obj) for field in self.fields)


class NamedValuesListIterable(ValuesIterable):
    """Yield a named tuple, ``Row``, of the selected fields (``values_list(named=True)``)."""

    def __init__(self, queryset: BaseQuerySet[Any], chunk_size: int | None = None) -> None:
        super().__init__(queryset, chunk_size)
        self.tuple_class = namedtuple("Row", [field.name for field in self.fields])  # type: ignore[misc]

    def row(self, obj: Any) -> Any:
        return self.tuple_class(*(field.read(obj) for field in self.fields))


class FlatValuesListIterable(ValuesIterable):
    """Yield the one selected field's value for each object (``values_list(flat=True)``)."""

    def row(self, obj: Any) -> Any:
        return self.fields[0].read(obj)
