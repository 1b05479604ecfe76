"""Lazy querysets over the API's list endpoints.

A :class:`QuerySet` only records what was asked (filters, a slice, a client) until it is
evaluated; :class:`~notifiedby._pagination.ModelIterable` is the only code that knows how
the API paginates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from notifiedby._pages import Page
from notifiedby._pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ModelIterable
from notifiedby.client import client_or_default
from notifiedby.exceptions import NotifiedByInvalidArgument

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
        return client_or_default(self._client)

    def _is_sliced(self) -> bool:
        return self._low != 0 or self._high is not None

    def _has_local_filters(self) -> bool:
        fields = self.model.filter_fields
        return any(fields[name].param is None for name in self._filters)

    def _server_params(self) -> dict[str, Any]:
        """Return a new dict of the filters the server applies, by their query parameter."""
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
                raise NotifiedByInvalidArgument(msg, argument=name)
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
            raise NotifiedByInvalidArgument(msg, argument="page")
        if page_size is not None and (not isinstance(page_size, int) or page_size < 1):
            msg = f"page_size: expected a positive number, got {page_size!r}."
            raise NotifiedByInvalidArgument(msg, argument="page_size")
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
