"""Lazy querysets over the API's list endpoints, and the one class that reads their pages.

A :class:`QuerySet` only records what was asked (filters, a slice, a client) until it is
evaluated; :class:`ModelIterable` is the only code that knows how the API paginates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from notifiedby._pages import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    RawPage,
    decode_page,
    page_window,
    real_page_size,
)
from notifiedby.exceptions import NotifiedByNotFoundError, NotifiedByValidationError

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient
    from notifiedby.resources.base import Resource

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_GET_RESULTS",
    "MAX_PAGE_SIZE",
    "REPR_OUTPUT_SIZE",
    "ModelIterable",
    "Page",
    "QuerySet",
]

#: How many objects repr() shows before "...(remaining elements truncated)...".
REPR_OUTPUT_SIZE = 20
#: How many matches get() reads at most, so it can say "more than 20".
MAX_GET_RESULTS = REPR_OUTPUT_SIZE + 1

M = TypeVar("M", bound="Resource")
QS = TypeVar("QS", bound="QuerySet[Any]")


class ModelIterable(Generic[M]):
    """Yield a queryset's objects, reading pages only as the loop reaches them.

    Pages are numbered from 1 and asked for with ``page_size``. The size the server really
    used is learnt from the first page read, ``next`` links are followed as given until one
    is null, and a bare JSON array is one complete page. Every object is checked against
    every filter, because a server may ignore one; a non-matching object is never yielded.
    """

    def __init__(self, queryset: QuerySet[M], chunk_size: int | None = None) -> None:
        self.queryset = queryset
        self.chunk_size = chunk_size
        self._client: NotifiedByClient | None = None

    @property
    def client(self) -> NotifiedByClient:
        # Resolved on first use, so a query that needs no request needs no settings either.
        if self._client is None:
            self._client = self.queryset._get_client()
        return self._client

    def __iter__(self) -> Iterator[M]:
        qs = self.queryset
        low, high = qs._low, qs._high
        if qs._empty or (high is not None and high <= low):
            return
        limit = None if high is None else high - low
        if qs._has_local_filters():
            yield from self._scan(low, limit)
        else:
            yield from self._positional(low, limit)

    def count(self) -> int:
        """Count the matches with one request when the server's count can be trusted."""
        qs = self.queryset
        if qs._empty:
            return 0
        if qs._has_local_filters():
            return sum(1 for _ in self)
        page = self._read(1, 1)
        assert page is not None  # page 1 always exists; a 404 there is raised
        objects = self._build(page.rows)
        if page.bare:
            total = sum(1 for obj in objects if self._matches(obj))
        elif objects and not self._matches(objects[0]):
            # The server ignored a filter, so its count is of the wrong objects.
            return sum(1 for _ in self)
        else:
            total = page.count
        high = total if qs._high is None else min(total, qs._high)
        return max(0, high - qs._low)

    def page(self, number: int, page_size: int | None) -> Page[M]:
        """Read one page as the server cuts them, keeping only the matching objects."""
        if self.queryset._empty:
            if number > 1:  # as a server answers for a page past the end
                raise NotifiedByNotFoundError("Invalid page.")
            return Page(number=1, count=0, next=None, previous=None, results=[])
        page = self._read(number, page_size, missing_ok=False)
        assert page is not None
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

    def _positional(self, low: int, limit: int | None) -> Iterator[M]:
        """Jump to the page holding item ``low``, trusting the server's positions."""
        size, number = page_window(low, limit, self.chunk_size)
        page = self._read(number, size)
        missing = None
        if page is None:
            # Past the end at the size asked for, or the server's pages are larger than
            # asked: page 1 tells which.
            missing, number, page = number, 1, self._read(1, size)
            assert page is not None  # page 1 always exists; a 404 there is raised
        offset = low
        if not page.bare:
            real = real_page_size(page, number, size)
            target = low // real + 1
            if target != number:  # the server's pages are another size: go to the right one
                if target == missing:
                    return
                number, page = target, self._read(target, size)
                if page is None:
                    return
            offset = low - (number - 1) * real
        yielded = 0
        while True:
            objects = self._build(page.rows)
            if not all(self._matches(obj) for obj in objects):
                # The server ignored a filter, so its positions count the wrong objects:
                # read again from the start, counting matches here.
                rest = None if limit is None else limit - yielded
                yield from self._scan(low + yielded, rest)
                return
            for obj in objects[offset:]:
                yield obj
                yielded += 1
                if yielded == limit:
                    return
            if page.next is None:
                return
            page = self._follow(page.next)
            offset = 0

    def _scan(self, skip: int, limit: int | None) -> Iterator[M]:
        """Read every page from the first, yielding the matches after the first ``skip``."""
        if limit == 0:
            return
        page = self._read(1, self.chunk_size or DEFAULT_PAGE_SIZE)
        yielded = 0
        while page is not None:
            for obj in self._build(page.rows):
                if not self._matches(obj):
                    continue
                if skip:
                    skip -= 1
                    continue
                yield obj
                yielded += 1
                if yielded == limit:
                    return
            page = None if page.next is None else self._follow(page.next)

    def _read(self, number: int, size: int | None, *, missing_ok: bool = True) -> RawPage | None:
        """Read page ``number``; None when it lies past the end (the API answers 404)."""
        qs = self.queryset
        if qs.model.list_path is None:
            msg = f"The API has no endpoint that lists {qs.model.__name__} objects."
            raise NotifiedByValidationError(msg, status_code=None)
        params: dict[str, Any] = dict(qs._server_params())
        if size is not None:
            params["page_size"] = size
        if number > 1:
            params["page"] = number
        try:
            return decode_page(self.client.get(qs.model.list_path, params=params))
        except NotifiedByNotFoundError:
            if number == 1 or not missing_ok:
                raise
            return None

    def _follow(self, url: str) -> RawPage:
        # ``next`` is an absolute URL; the client accepts it as given, so its form is the
        # server's business.
        return decode_page(self.client.get(url))

    def _build(self, rows: list[Any]) -> list[M]:
        return [self.queryset.model.from_api(row, self.client) for row in rows]

    def _matches(self, obj: M) -> bool:
        fields = self.queryset.model.filter_fields
        return all(
            fields[name].matches(obj, value) for name, value in self.queryset._filters.items()
        )


class QuerySet(Generic[M]):
    """A lazy, chainable query over one resource, with Django's QuerySet semantics.

    Building one makes no request. Iterating, ``len()``, ``bool()`` or ``list()`` reads it
    once and keeps the results; ``count()``, ``exists()``, ``first()``, ``get()`` and
    indexing make one request each unless the results are already read.
    """

    def __init__(self, model: type[M], client: NotifiedByClient | None = None) -> None:
        #: The resource class whose objects this query returns.
        self.model = model
        self._client = client
        self._filters: dict[str, Any] = {}
        self._low = 0
        self._high: int | None = None
        self._empty = False
        self._iterable_class: type[ModelIterable[Any]] = ModelIterable
        self._result_cache: list[M] | None = None

    # --- cloning and evaluation ---------------------------------------------------------

    def _clone(self: QS) -> QS:
        """Return a copy with the same query and no results (the cache is never copied)."""
        clone = self.__class__(self.model, client=self._client)
        clone._filters = dict(self._filters)
        clone._low, clone._high = self._low, self._high
        clone._empty = self._empty
        clone._iterable_class = self._iterable_class
        return clone

    def _chain(self: QS) -> QS:
        return self._clone()

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._result_cache = list(self._iterable_class(self))

    def _get_client(self) -> NotifiedByClient:
        if self._client is None:
            from notifiedby.client import get_default_client

            return get_default_client()
        return self._client

    def _is_sliced(self) -> bool:
        return self._low != 0 or self._high is not None

    def _has_local_filters(self) -> bool:
        fields = self.model.filter_fields
        return any(fields[name].param is None for name in self._filters)

    def _server_params(self) -> dict[str, Any]:
        fields = self.model.filter_fields
        return {
            param: value
            for name, value in self._filters.items()
            if (param := fields[name].param) is not None
        }

    def _set_limits(self, start: int | None, stop: int | None) -> None:
        # Slices compose like Django's: offsets are relative to the current slice.
        if stop is not None:
            self._high = (
                self._low + stop if self._high is None else min(self._high, self._low + stop)
            )
        if start is not None:
            self._low = (
                self._low + start if self._high is None else min(self._high, self._low + start)
            )

    def __iter__(self) -> Iterator[M]:
        self._fetch_all()
        assert self._result_cache is not None
        return iter(self._result_cache)

    def __aiter__(self) -> AsyncIterator[M]:
        async def generator() -> AsyncIterator[M]:
            await asyncio.to_thread(self._fetch_all)
            for obj in self._result_cache or ():
                yield obj

        return generator()

    def __len__(self) -> int:
        self._fetch_all()
        assert self._result_cache is not None
        return len(self._result_cache)

    def __bool__(self) -> bool:
        self._fetch_all()
        return bool(self._result_cache)

    def __repr__(self) -> str:
        data: list[Any] = list(self[: REPR_OUTPUT_SIZE + 1])
        if len(data) > REPR_OUTPUT_SIZE:
            data[-1] = "...(remaining elements truncated)..."
        return f"<{type(self).__name__} {data!r}>"

    @overload
    def __getitem__(self, k: int) -> M: ...

    @overload
    def __getitem__(self: QS, k: slice) -> QS: ...

    def __getitem__(self, k: object) -> Any:
        """Return one object, or a lazy QuerySet over a slice (non-negative bounds only)."""
        if not isinstance(k, (int, slice)):
            msg = f"QuerySet indices must be integers or slices, not {type(k).__name__}."
            raise TypeError(msg)
        if isinstance(k, slice):
            for bound in (k.start, k.stop):
                if bound is not None and not isinstance(bound, int):
                    msg = f"QuerySet slice bounds must be integers, not {type(bound).__name__}."
                    raise TypeError(msg)
        if (isinstance(k, int) and k < 0) or (
            isinstance(k, slice)
            and ((k.start is not None and k.start < 0) or (k.stop is not None and k.stop < 0))
        ):
            raise ValueError("Negative indexing is not supported.")
        if isinstance(k, slice):
            if k.step is not None:
                raise ValueError("Slicing a QuerySet with a step is not supported.")
            clone = self._chain()
            clone._set_limits(k.start, k.stop)
            if self._result_cache is not None:
                clone._result_cache = self._result_cache[k]
            return clone
        if self._result_cache is not None:
            return self._result_cache[k]
        clone = self._chain()
        clone._set_limits(k, k + 1)
        clone._fetch_all()
        assert clone._result_cache is not None
        return clone._result_cache[0]

    # --- methods that return a new QuerySet ---------------------------------------------

    def all(self: QS) -> QS:
        """Return a copy of this query (a fresh one, with no results read)."""
        return self._chain()

    def none(self: QS) -> QS:
        """Return a query that matches nothing and never makes a request."""
        clone = self._chain()
        clone._empty = True
        return clone

    def using(self: QS, client: NotifiedByClient) -> QS:
        """Return a copy that talks to the API through ``client`` (another account, say)."""
        clone = self._chain()
        clone._client = client
        return clone

    def filter(self: QS, **filters: Any) -> QS:
        """Return a copy narrowed by ``filters``, which the server and this SDK both check."""
        if filters and self._is_sliced():
            raise TypeError("Cannot filter a query once a slice has been taken.")
        clone = self._chain()
        allowed = self.model.filter_fields
        for name, value in filters.items():
            field = allowed.get(name)
            if field is None:
                choices = ", ".join(sorted(allowed)) or "(none)"
                msg = f"Cannot filter {self.model.__name__} by {name!r}. Choices are: {choices}."
                raise NotifiedByValidationError(msg, status_code=None)
            cleaned = field.clean(value, name)
            if name in clone._filters and field.key(clone._filters[name]) != field.key(cleaned):
                clone._empty = True  # one field can't equal two different values
            clone._filters[name] = cleaned
        return clone

    # --- methods that read --------------------------------------------------------------

    def iterator(self, chunk_size: int | None = None) -> Iterator[M]:
        """Yield the objects page by page without keeping them (``chunk_size`` per page)."""
        if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
            raise ValueError("Chunk size must be strictly positive.")
        return iter(self._iterable_class(self, chunk_size=chunk_size))

    def count(self) -> int:
        """Return how many objects match: one request, or none if the results are read."""
        if self._result_cache is not None:
            return len(self._result_cache)
        return self._iterable_class(self).count()

    def exists(self) -> bool:
        """Return True if anything matches: one request, or none if the results are read."""
        if self._result_cache is not None:
            return bool(self._result_cache)
        return self.first() is not None

    def first(self) -> M | None:
        """Return the first object (in the API's order), or None: one request."""
        for obj in self[:1]:
            return obj
        return None

    def get(self, **filters: Any) -> M:
        """Return the one object matching ``filters``.

        Raises the model's ``DoesNotExist`` when nothing matches and its
        ``MultipleObjectsReturned`` when several do.
        """
        clone = self.filter(**filters)
        clone._set_limits(None, MAX_GET_RESULTS)
        clone._fetch_all()
        assert clone._result_cache is not None
        num = len(clone._result_cache)
        name = self.model.__name__
        if num == 1:
            return clone._result_cache[0]
        if num == 0:
            described = ", ".join(f"{key}={value!r}" for key, value in clone._filters.items())
            suffix = f" ({described})" if described else ""
            raise self.model.DoesNotExist(f"{name} matching query does not exist{suffix}.")
        many = str(num) if num < MAX_GET_RESULTS else f"more than {MAX_GET_RESULTS - 1}"
        raise self.model.MultipleObjectsReturned(
            f"get() returned more than one {name} -- it returned {many}!"
        )

    def page(self, number: int = 1, page_size: int | None = None) -> Page[M]:
        """Read page ``number`` (from 1) as the server cuts pages: one request."""
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            msg = f"page: expected a page number of 1 or more, got {number!r}."
            raise NotifiedByValidationError(msg, status_code=None)
        if page_size is not None and (not isinstance(page_size, int) or page_size < 1):
            msg = f"page_size: expected a positive number, got {page_size!r}."
            raise NotifiedByValidationError(msg, status_code=None)
        if self._is_sliced():
            raise TypeError("Cannot read a page of a sliced query.")
        return self._iterable_class(self).page(number, page_size)

    # --- async twins: the same code, run off the event loop ---------------------------------

    async def aget(self, **filters: Any) -> M:
        """Async version of :meth:`get`."""
        return await asyncio.to_thread(self.get, **filters)

    async def acount(self) -> int:
        """Async version of :meth:`count`."""
        return await asyncio.to_thread(self.count)

    async def aexists(self) -> bool:
        """Async version of :meth:`exists`."""
        return await asyncio.to_thread(self.exists)

    async def afirst(self) -> M | None:
        """Async version of :meth:`first`."""
        return await asyncio.to_thread(self.first)
