"""Sorting the API can't do: ``order_by()`` and ``reverse()``, done here after reading.

The API lists in one stable order (recipients and subscriptions oldest first, emails newest
first) and has no ordering parameter, so an ordered query reads every match and sorts it.
Only each match's sort key and its row (the object, or the selected ``values()``) are kept;
a slice of the sorted list (``[:k]``, ``first()``) keeps only ``k`` of them at a time.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any, TypeVar

from notifiedby._fields import Kind, fields_of, resolve
from notifiedby.exceptions import NotifiedByInvalidArgument

if TYPE_CHECKING:
    from notifiedby._fields import Field
    from notifiedby.resources.base import Resource

__all__ = ["Ordering", "check_ordering", "sort_rows"]

T = TypeVar("T")


def check_ordering(model: type[Resource], names: Sequence[str]) -> list[tuple[Field, bool]]:
    """Return ``(field, descending)`` for each ``order_by()`` name (``"-created_at"``)."""
    terms = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"order_by() takes field names, not {type(name).__name__}.")
        field = resolve(model, name.removeprefix("-"))
        if field.kind is Kind.LIST:
            choices = ", ".join(
                sorted(n for n, f in fields_of(model).items() if f.kind is not Kind.LIST)
            )
            msg = (
                f"Cannot order {model.__name__} by {field.name!r}, a list. Choices are: {choices}."
            )
            raise NotifiedByInvalidArgument(msg, argument=name)
        terms.append((field, name.startswith("-")))
    return terms


class Ordering:
    """The order of an ``order_by(*names)`` query, ``reverse()``d or not.

    Ties keep the API's order, and ``reverse()`` turns every term and the ties round, so a
    reversed query is its unreversed list backwards. None sorts after every value, and first
    when descending, as PostgreSQL does.
    """

    def __init__(self, model: type[Resource], names: Sequence[str], reverse: bool) -> None:
        terms = check_ordering(model, names)
        self.fields = [field for field, _ in terms]
        self.descending = [descending is not reverse for _, descending in terms]
        self.reverse = reverse

    def key(self, obj: object, position: int) -> _SortKey:
        """Return the sort key of ``obj``, read at ``position`` in the API's order."""
        return _SortKey(tuple(getattr(obj, f.attribute, None) for f in self.fields), position, self)


class _SortKey:
    __slots__ = ("ordering", "position", "values")

    def __init__(self, values: tuple[Any, ...], position: int, ordering: Ordering) -> None:
        self.values = values
        self.position = position
        self.ordering = ordering

    def __lt__(self, other: _SortKey) -> bool:
        for mine, theirs, descending in zip(
            self.values, other.values, self.ordering.descending, strict=True
        ):
            if mine == theirs:
                continue
            if mine is None or theirs is None:
                return (theirs is None) is not descending
            return bool(theirs < mine) if descending else bool(mine < theirs)
        if self.ordering.reverse:
            return other.position < self.position
        return self.position < other.position


def sort_rows(decorated: Iterable[tuple[_SortKey, T]], low: int, high: int | None) -> list[T]:
    """Sort ``(key, row)`` pairs and return the rows from ``low`` to ``high`` (the end if None).

    With ``high`` only the first ``high`` pairs are kept while reading.
    """
    first = itemgetter(0)
    chosen = (
        sorted(decorated, key=first)
        if high is None
        else heapq.nsmallest(high, decorated, key=first)
    )
    return [row for _, row in chosen[low:]]
