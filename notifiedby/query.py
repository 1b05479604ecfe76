"""Lazy querysets over the API's list endpoints.

A :class:`QuerySet` only records what was asked (filters, an order, a slice, a client) until
it is evaluated; :class:`~notifiedby._pagination.ModelIterable` is the only code that knows
how the API paginates, and :mod:`notifiedby._lookups` the only code that knows lookups.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from notifiedby._fields import resolve, unique_field
from notifiedby._lookups import LOOKUP_SEP, Q, compile_q
from notifiedby._ordering import check_ordering
from notifiedby._pages import Page
from notifiedby._pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    FlatValuesListIterable,
    ModelIterable,
    NamedValuesListIterable,
    ValuesIterable,
    ValuesListIterable,
)
from notifiedby._queryset import REPR_OUTPUT_SIZE, BaseQuerySet
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
    "Q",
    "QuerySet",
]

#: How many matches get() reads at most, so it can say "more than 20".
MAX_GET_RESULTS = REPR_OUTPUT_SIZE + 1

M = TypeVar("M", bound="Resource")
QS = TypeVar("QS", bound="QuerySet[Any]")


class QuerySet(BaseQuerySet[M]):
    """A lazy, chainable query over one resource, with Django's QuerySet semantics.

    Building one makes no request. Iterating, ``len()``, ``bool()`` or ``list()`` reads it
    once and keeps the results; ``count()``, ``exists()``, ``first()``, ``get()`` and
    indexing make one request each unless the results are already read or a filter is
    checked only here (see docs/orm.md for what each costs).
    """

    @property
    def ordered(self) -> bool:
        """True: the API lists in a stable order, so slices of it are consistent (Django's
        Paginator warns about unordered lists)."""
        return True

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

    def filter(self: QS, *args: Q, **kwargs: Any) -> QS:
        """Return a copy narrowed to the objects matching ``Q`` objects and lookups
        (``first_name__startswith="A"``); exact filters the API knows are also sent."""
        return self._filter_or_exclude(False, args, kwargs)

    def exclude(self: QS, *args: Q, **kwargs: Any) -> QS:
        """Return a copy without the objects matching all of ``args`` and ``kwargs``."""
        return self._filter_or_exclude(True, args, kwargs)

    def _filter_or_exclude(self: QS, negate: bool, args: tuple[Q, ...], kwargs: Any) -> QS:
        if args or kwargs:
            self._refuse_if_sliced("filter")
        q = Q(*args, **kwargs)
        clone = self._chain()
        clone._where = self._where & compile_q(self.model, ~q if negate else q)
        clone._empty = clone._empty or clone._where.contradicts()
        return clone

    def order_by(self: QS, *field_names: str) -> QS:
        """Return a copy sorted by these fields (``"-name"`` descending); none: the API's
        order. The API can't sort, so an ordered query reads every match first."""
        self._refuse_if_sliced("reorder")
        check_ordering(self.model, field_names)
        clone = self._chain()
        clone._ordering = field_names
        return clone

    def reverse(self: QS) -> QS:
        """Return a copy in the opposite order (of the API's, without ``order_by()``)."""
        self._refuse_if_sliced("reverse")
        clone = self._chain()
        clone._reversed = not self._reversed
        return clone

    def values(self, *fields: str) -> QuerySet[Any]:
        """Return a copy yielding a dict of ``fields`` (all, if none) for each object."""
        return self._values(fields, ValuesIterable)

    def values_list(self, *fields: str, flat: bool = False, named: bool = False) -> QuerySet[Any]:
        """Return a copy yielding a tuple of ``fields`` for each object; with ``flat``, the one
        field's value; with ``named``, a named tuple."""
        if flat and named:
            raise TypeError("'flat' and 'named' can't be used together.")
        if flat and len(fields) > 1:
            raise TypeError(
                "'flat' is not valid when values_list is called with more than one field."
            )
        if flat:
            return self._values(fields or ("pk",), FlatValuesListIterable)
        return self._values(fields, NamedValuesListIterable if named else ValuesListIterable)

    def _values(self, fields: tuple[str, ...], iterable: type[ModelIterable[Any]]) -> QuerySet[Any]:
        for name in fields:
            resolve(self.model, name)
        clone = self._chain()
        clone._fields = fields or tuple(name for name, _ in self.model._wire_fields())
        clone._iterable_class = iterable
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
        return self._plain().first() is not None

    def first(self) -> M | None:
        """Return the first object (in the API's order, or this query's), or None."""
        for obj in self[:1]:
            return obj
        return None

    def last(self) -> M | None:
        """Return the last object, or None: two requests (a count, then that object) when
        the server applies every filter, else one read of every page."""
        if self._result_cache is not None:
            return self._result_cache[-1] if self._result_cache else None
        if self._is_sorted() or self._has_local_filters():
            return self.reverse().first()
        self._refuse_if_sliced("reverse")
        total = self.count()
        return self[total - 1] if total else None

    def earliest(self, *fields: str) -> M:
        """Return the object with the smallest ``fields``; raise ``DoesNotExist`` if none."""
        return self._extreme(fields, reverse=False)

    def latest(self, *fields: str) -> M:
        """Return the object with the largest ``fields``; raise ``DoesNotExist`` if none."""
        return self._extreme(fields, reverse=True)

    def _extreme(self, fields: tuple[str, ...], *, reverse: bool) -> M:
        if not fields:
            msg = "earliest() and latest() need field names: the API's models name no default."
            raise ValueError(msg)
        clone = self.order_by(*fields)
        clone._reversed = reverse
        return clone[:1].get()

    def get(self, *args: Q, **kwargs: Any) -> M:
        """Return the one object matching ``args`` and ``kwargs``.

        Raises the model's ``DoesNotExist`` when nothing matches and its
        ``MultipleObjectsReturned`` when several do.
        """
        clone = self.filter(*args, **kwargs)
        if not clone._is_sliced():  # the order can't change which one object matches
            clone._ordering, clone._reversed = (), False
        clone._set_limits(None, MAX_GET_RESULTS)
        clone._fetch_all()
        assert clone._result_cache is not None
        num = len(clone._result_cache)
        name = self.model.__name__
        if num == 1:
            return clone._result_cache[0]
        if num == 0:
            suffix = f" ({clone._where})" if clone._where.children else ""
            raise self.model.DoesNotExist(f"{name} matching query does not exist{suffix}.")
        many = str(num) if num < MAX_GET_RESULTS else f"more than {MAX_GET_RESULTS - 1}"
        raise self.model.MultipleObjectsReturned(
            f"get() returned more than one {name} -- it returned {many}!"
        )

    def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        """Return the objects whose ``field_name`` is in ``id_list`` (all, if None), by it."""
        self._refuse_if_sliced("use in_bulk() on")
        if self._fields:
            raise TypeError("in_bulk() cannot be used with values() or values_list().")
        field = unique_field(self.model, field_name)
        queryset = self
        if id_list is not None:
            ids = list(id_list)
            if not ids:
                return {}
            queryset = self.filter(**{f"{field_name}__in": ids})
        return {getattr(obj, field.attribute): obj for obj in queryset.iterator()}

    def page(self, number: int = 1, page_size: int | None = None) -> Page[M]:
        """Read page ``number`` (from 1) as the server cuts pages: one request."""
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            msg = f"page: expected a page number of 1 or more, got {number!r}."
            raise NotifiedByInvalidArgument(msg, argument="page")
        if page_size is not None and (not isinstance(page_size, int) or page_size < 1):
            msg = f"page_size: expected a positive number, got {page_size!r}."
            raise NotifiedByInvalidArgument(msg, argument="page_size")
        self._refuse_if_sliced("read a page of")
        if self._is_sorted() or self._fields:
            raise TypeError("The server cuts pages in its own order, of objects: slice instead.")
        return self._iterable_class(self).page(number, page_size)

    # --- methods that write -------------------------------------------------------------

    def create(self, *args: Any, **kwargs: Any) -> M:
        """Refuse: the API can't create these objects from their fields (the resource's
        QuerySet says how it can, if it can)."""
        raise self._cannot("create")

    def get_or_create(
        self, defaults: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        """Return ``(object, created)``: the object matching ``kwargs`` (one read), or one
        created from ``kwargs`` and ``defaults`` (one more request)."""
        fields = self._creation_fields("get_or_create", kwargs, defaults, update=False)
        try:
            return self.get(**kwargs), False
        except self.model.DoesNotExist:
            return self.create(**_resolved(fields)), True

    def update_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        """Return ``(object, created)`` after updating the object ``kwargs`` name with
        ``defaults``, or creating it: one request, an upsert whose answer says which; with
        ``create_defaults`` (used only when creating), a read first."""
        fields = self._creation_fields("update_or_create", kwargs, defaults, update=True)
        if create_defaults is not None:
            on_create = self._creation_fields(
                "update_or_create", kwargs, create_defaults, update=True
            )
            if not self.filter(**kwargs).exists():
                fields = on_create
        return self._upsert(_resolved(fields))

    def _upsert(self, fields: dict[str, Any]) -> tuple[M, bool]:
        """Create or update the object from ``fields``; return it and whether it is new."""
        raise self._cannot("update")

    def _creation_fields(
        self,
        method: str,
        kwargs: Mapping[str, Any],
        defaults: Mapping[str, Any] | None,
        *,
        update: bool,
    ) -> dict[str, Any]:
        """Return the fields to create with, checked against what ``create()`` takes.

        ``update_or_create()`` upserts by the fields ``create()`` requires (a recipient's
        email), so it needs them in ``kwargs`` and takes no lookups there.
        """
        name = self.model.__name__
        if type(self).create is QuerySet.create:
            raise self._cannot("create")
        params = inspect.signature(self.create).parameters
        accepted = sorted(n for n, p in params.items() if p.kind is p.KEYWORD_ONLY)
        fields = {k: v for k, v in kwargs.items() if LOOKUP_SEP not in k}
        lookups = ", ".join(sorted(set(kwargs) - set(fields)))
        if update and lookups:
            msg = f"{method}() finds a {name} by field names, not lookups: {lookups}."
            raise NotifiedByInvalidArgument(msg)
        given = fields if update else {**fields, **(defaults or {})}
        missing = [n for n in accepted if params[n].default is params[n].empty and n not in given]
        if missing:
            where = "a keyword argument" if update else "a keyword argument or in defaults"
            msg = f"{method}() needs {', '.join(missing)} to find or create a {name}."
            raise NotifiedByInvalidArgument(msg, argument=missing[0], hint=f"give it as {where}")
        fields.update(defaults or {})
        unknown = sorted(set(fields) - set(accepted))
        if unknown:
            msg = f"{name} has no field {unknown[0]!r} to set. Choices are: {', '.join(accepted)}."
            raise NotifiedByInvalidArgument(msg, argument=unknown[0])
        return fields

    def _cannot(self, action: str) -> NotifiedByInvalidArgument:
        msg = f"The API can't {action} {self.model.__name__} objects this way; see docs/orm.md."
        return NotifiedByInvalidArgument(msg)

    def delete(self) -> int:
        """Refuse: the API deletes subscriptions only (``SubscriptionQuerySet.delete()``)."""
        raise self._cannot("delete")

    # Not on the manager, as in Django: ``Model.objects.all().delete()`` says "everything".
    setattr(delete, "queryset_only", True)  # noqa: B010  # mypy rejects new function attributes

    # --- async twins: each runs its sync method in a worker thread, as Django's do ----------

    async def aget(self, *args: Q, **kwargs: Any) -> M:
        return await asyncio.to_thread(self.get, *args, **kwargs)

    async def acount(self) -> int:
        return await asyncio.to_thread(self.count)

    async def aexists(self) -> bool:
        return await asyncio.to_thread(self.exists)

    async def afirst(self) -> M | None:
        return await asyncio.to_thread(self.first)

    async def alast(self) -> M | None:
        return await asyncio.to_thread(self.last)

    async def aearliest(self, *fields: str) -> M:
        return await asyncio.to_thread(self.earliest, *fields)

    async def alatest(self, *fields: str) -> M:
        return await asyncio.to_thread(self.latest, *fields)

    async def ain_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        return await asyncio.to_thread(self.in_bulk, id_list, field_name=field_name)

    async def acreate(self, **kwargs: Any) -> M:
        return await asyncio.to_thread(self.create, **kwargs)

    async def aget_or_create(
        self, defaults: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        return await asyncio.to_thread(self.get_or_create, defaults, **kwargs)

    async def aupdate_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        return await asyncio.to_thread(self.update_or_create, defaults, create_defaults, **kwargs)

    async def adelete(self) -> int:
        return await asyncio.to_thread(self.delete)

    setattr(adelete, "queryset_only", True)  # noqa: B010

    async def aiterator(self, chunk_size: int | None = None) -> AsyncIterator[M]:
        """Async version of :meth:`iterator`: each page is read off the event loop."""
        rows = self.iterator(chunk_size)
        batch = chunk_size or DEFAULT_PAGE_SIZE
        while chunk := await asyncio.to_thread(list, itertools.islice(rows, batch)):
            for row in chunk:
                yield row


def _resolved(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``fields`` with callable values called, as Django does with ``defaults``."""
    return {name: value() if callable(value) else value for name, value in fields.items()}
