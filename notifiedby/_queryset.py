"""The machinery under :class:`~notifiedby.query.QuerySet`: what a query records, how it is
copied, evaluated, sliced, shown and pickled.

The methods Django users call are on QuerySet; this base holds the state they change and
the one evaluation point, ``_fetch_all()``, which hands the query to its iterable class
(:mod:`notifiedby._pagination`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from notifiedby._lookups import Where
from notifiedby._pagination import ModelIterable
from notifiedby.client import client_or_default

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient
    from notifiedby.resources.base import Resource

__all__ = ["REPR_OUTPUT_SIZE", "BaseQuerySet"]

#: How many objects repr() shows before "...(remaining elements truncated)...".
REPR_OUTPUT_SIZE = 20

M = TypeVar("M", bound="Resource")
QS = TypeVar("QS", bound="BaseQuerySet[Any]")


class BaseQuerySet(Generic[M]):
    """A query's state and evaluation; see :class:`~notifiedby.query.QuerySet`."""

    def __init__(self, model: type[M], client: NotifiedByClient | None = None) -> None:
        #: The resource class whose objects this query returns.
        self.model = model
        self._client = client
        self._where = Where()
        self._low = 0
        self._high: int | None = None
        self._empty = False
        #: ``order_by()`` names, and whether ``reverse()`` turned them (and the ties) round.
        self._ordering: tuple[str, ...] = ()
        self._reversed = False
        #: The fields ``values()`` or ``values_list()`` selected.
        self._fields: tuple[str, ...] = ()
        self._iterable_class: type[ModelIterable[Any]] = ModelIterable
        self._result_cache: list[M] | None = None

    # --- cloning and evaluation ---------------------------------------------------------

    def _clone(self: QS) -> QS:
        """Return a copy with the same query and no results (the cache is never copied)."""
        clone = self.__class__(self.model, client=self._client)
        clone._where, clone._empty = self._where, self._empty
        clone._low, clone._high = self._low, self._high
        clone._ordering, clone._reversed = self._ordering, self._reversed
        clone._fields, clone._iterable_class = self._fields, self._iterable_class
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

    def _limit(self) -> int | None:
        return None if self._high is None else self._high - self._low

    def _is_sorted(self) -> bool:
        return bool(self._ordering) or self._reversed

    def _has_local_filters(self) -> bool:
        return self._where.has_local()

    def _server_params(self) -> dict[str, Any]:
        """Return a new dict of the filters the server applies, by their query parameter."""
        return self._where.server_params()

    def _matches(self, obj: object) -> bool:
        """Tell whether ``obj`` meets every filter of this query."""
        return self._where.matches(obj)

    def _without_local_filters(self: QS) -> QS:
        """Return a copy keeping only the filters the server applies."""
        clone = self._chain()
        clone._where = self._where.only_pushed()
        return clone

    def _plain(self: QS) -> QS:
        """Return a copy that yields objects in the API's order (for exists(), last())."""
        clone = self._chain()
        clone._ordering, clone._reversed = (), False
        clone._fields, clone._iterable_class = (), ModelIterable
        return clone

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

    def _refuse_if_sliced(self, doing: str) -> None:
        if self._is_sliced():
            raise TypeError(f"Cannot {doing} a query once a slice has been taken.")

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

    def __getstate__(self) -> dict[str, Any]:
        """Read the results, as Django does, and leave the client out: unpickled, the query
        uses the default client, or the one ``using()`` gives it."""
        self._fetch_all()
        return {**self.__dict__, "_client": None}

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
