"""Field lookups and ``Q`` objects: what ``filter()``, ``exclude()`` and ``get()`` accept.

A filter is written as in Django, ``<field>__<lookup>=<value>`` (``first_name__startswith="A"``,
``flags__contains="vip"``); a bare field name means ``exact``. :func:`compile_q` checks each
one against the model's fields (:mod:`notifiedby._fields`) before any request and turns it
into a :class:`Condition`, and ``Q`` objects combined with ``&``, ``|`` and ``~`` into a
:class:`Where` tree, which every object read is checked against. :meth:`Where.server_params`
picks what the server is asked to filter: only ``exact`` conditions that every match must
meet (none under OR or NOT).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from notifiedby._fields import LOOKUPS, Field, Kind, resolve
from notifiedby._wire.base import invalid
from notifiedby.exceptions import NotifiedByInvalidArgument

if TYPE_CHECKING:
    from notifiedby.resources.base import Resource

__all__ = ["LOOKUP_SEP", "Condition", "Q", "Where", "compile_q", "condition"]

LOOKUP_SEP = "__"
#: The lookups that ignore case: both sides are casefolded.
_CASELESS = frozenset({"iexact", "icontains", "istartswith", "iendswith"})


def _is_in(actual: Any, values: frozenset[Any]) -> bool:
    return actual in values


def _starts(actual: str, prefix: str) -> bool:
    return actual.startswith(prefix)


def _ends(actual: str, suffix: str) -> bool:
    return actual.endswith(suffix)


def _between(actual: Any, bounds: tuple[Any, Any]) -> bool:
    return bool(bounds[0] <= actual <= bounds[1])


#: The test of each lookup: ``test(actual, operand)``, the actual value prepared by the field.
_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "exact": operator.eq,
    "iexact": operator.eq,
    "in": _is_in,
    "contains": operator.contains,
    "icontains": operator.contains,
    "startswith": _starts,
    "istartswith": _starts,
    "endswith": _ends,
    "iendswith": _ends,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "range": _between,
}


# --- conditions -----------------------------------------------------------------------------


@attrs.frozen
class Condition:
    """One lookup on one field, such as ``first_name__startswith="A"``."""

    field: Field
    lookup: str
    #: The value as given and checked: what an exact lookup sends to the server.
    value: Any
    #: The value prepared for comparison (casefolded, a set of keys, a pair of bounds).
    operand: Any

    @property
    def pushable(self) -> bool:
        """True when the server can apply it: an exact lookup on a field it filters by."""
        return self.lookup == "exact" and self.field.param is not None

    def matches(self, obj: object) -> bool:
        """Tell whether ``obj`` meets this condition (None meets only ``isnull=True``)."""
        actual = getattr(obj, self.field.attribute, None)
        if self.lookup == "isnull":
            return (actual is None) is self.operand
        if actual is None:
            return False
        field = self.field
        if field.kind is Kind.LIST:
            flags, wanted = frozenset(actual), frozenset(self.operand)
            return flags == wanted if self.lookup == "exact" else flags >= wanted
        if self.lookup in ("exact", "in"):
            actual = field.key(actual)
        elif self.lookup in _CASELESS:
            actual = actual.casefold()
        return _TESTS[self.lookup](actual, self.operand)

    def __str__(self) -> str:
        name = self.field.name if self.lookup == "exact" else f"{self.field.name}__{self.lookup}"
        return f"{name}={self.value!r}"


def _operand(field: Field, lookup: str, value: Any, argument: str) -> tuple[Any, Any]:
    """Check ``value`` for ``lookup`` on ``field``; return it as kept and as compared."""
    if lookup == "isnull":
        if not isinstance(value, bool):
            raise invalid(argument, "the value of an isnull lookup must be True or False.")
        return value, value
    if field.kind is Kind.LIST:  # exact or contains: a flag name or a list of them
        flags = field.check(value, argument)
        return flags, frozenset(flags)
    if lookup == "exact":
        cleaned = field.clean_exact(value, argument)
        return cleaned, field.key(cleaned)
    if lookup == "in":
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise invalid(argument, f"expected a list of values, got {type(value).__name__}.")
        values = tuple(field.clean_exact(item, argument) for item in value)
        return values, frozenset(field.key(item) for item in values)
    if lookup == "range":
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise invalid(argument, f"expected (low, high), got {type(value).__name__}.")
        bounds = tuple(field.check(item, argument) for item in value)
        if len(bounds) != 2:
            raise invalid(argument, f"expected two bounds (low, high), got {len(bounds)}.")
        return bounds, bounds
    cleaned = field.check(value, argument)
    return cleaned, cleaned.casefold() if lookup in _CASELESS else cleaned


def condition(model: type[Resource], argument: str, value: Any) -> Condition:
    """Check one ``filter()`` argument (``first_name__startswith``) and its value."""
    name, _, lookup = argument.partition(LOOKUP_SEP)
    field = resolve(model, name)
    lookup = lookup or "exact"
    allowed = LOOKUPS[field.kind]
    if lookup not in allowed:
        msg = (
            f"Unsupported lookup {lookup!r} for {model.__name__}.{name} "
            f"({field.kind.value}). Choices are: {', '.join(allowed)}."
        )
        raise NotifiedByInvalidArgument(msg, argument=argument)
    if lookup == "exact" and value is None:  # as Django reads field=None
        lookup, value = "isnull", True
    kept, operand = _operand(field, lookup, value, argument)
    if lookup == "in" and len(kept) == 1 and field.kind is not Kind.LIST:
        # One value: the same condition as exact, which the server may apply.
        lookup, kept, operand = "exact", kept[0], next(iter(operand))
    return Condition(field, lookup, kept, operand)


# --- trees ----------------------------------------------------------------------------------


class Q:
    """Filters to combine with ``&`` (and), ``|`` (or) and ``~`` (not), as Django's ``Q``."""

    AND = "AND"
    OR = "OR"

    def __init__(
        self, *args: object, _connector: str = AND, _negated: bool = False, **kwargs: Any
    ) -> None:
        self.children: list[Q | tuple[str, Any]] = []
        for arg in args:
            if not isinstance(arg, Q):
                msg = f"Positional filters must be Q objects, not {type(arg).__name__}."
                raise TypeError(msg)
            self.children.append(arg)
        self.children.extend(sorted(kwargs.items()))
        self.connector = _connector
        self.negated = _negated

    def _copy(self) -> Q:
        clone = Q(_connector=self.connector, _negated=self.negated)
        clone.children = list(self.children)
        return clone

    def _combine(self, other: object, connector: str) -> Q:
        if not isinstance(other, Q):
            raise TypeError(other)
        if not other.children:
            return self._copy()
        if not self.children:
            return other._copy()
        combined = Q(_connector=connector)
        combined.children = [self, other]
        return combined

    def __and__(self, other: object) -> Q:
        return self._combine(other, self.AND)

    def __or__(self, other: object) -> Q:
        return self._combine(other, self.OR)

    def __invert__(self) -> Q:
        clone = self._copy()
        clone.negated = not self.negated
        return clone

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Q):
            return NotImplemented
        return (self.children, self.connector, self.negated) == (
            other.children,
            other.connector,
            other.negated,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        inner = ", ".join(repr(child) for child in self.children)
        text = f"({self.connector}: {inner})"
        return f"<Q: (NOT {text})>" if self.negated else f"<Q: {text}>"


@attrs.frozen
class Where:
    """Conditions joined by AND or OR, maybe negated; empty, it matches everything."""

    children: tuple[Condition | Where, ...] = ()
    connector: str = Q.AND
    negated: bool = False

    @classmethod
    def of(cls, children: Iterable[Condition | Where], connector: str, negated: bool) -> Where:
        """Build a node, lifting the children of plain nodes joined the same way, so the
        conditions every match must meet stay at the top, where the server can take them.
        Empty nodes (``Q()``, ``~Q()``) match everything, as in Django, and are left out."""
        flat: list[Condition | Where] = []
        for child in children:
            if isinstance(child, Where):
                same = child.connector == connector and not child.negated
                flat.extend(child.children if same else (child,) if child.children else ())
            else:
                flat.append(child)
        return cls(tuple(flat), connector, negated)

    def __and__(self, other: Where) -> Where:
        return Where.of((self, other), Q.AND, False)

    def matches(self, obj: object) -> bool:
        """Tell whether ``obj`` meets this tree."""
        if not self.children:
            return True
        meet = all if self.connector == Q.AND else any
        return meet(child.matches(obj) for child in self.children) is not self.negated

    def _required(self) -> list[Condition]:
        """Return the conditions every match must meet (those at the top of an AND)."""
        if self.negated or self.connector != Q.AND:
            return []
        return [child for child in self.children if isinstance(child, Condition)]

    def server_params(self) -> dict[str, Any]:
        """Return the filters to send, by query parameter (the first, if two share one)."""
        params: dict[str, Any] = {}
        for cond in self._required():
            if cond.pushable:
                params.setdefault(str(cond.field.param), cond.value)
        return params

    def only_pushed(self) -> Where:
        """Return the tree of just the conditions the server applies."""
        return Where(tuple(cond for cond in self._required() if cond.pushable))

    def has_local(self) -> bool:
        """Tell whether some condition is checked only here."""
        return len(self.only_pushed().children) != len(self.children)

    def contradicts(self) -> bool:
        """Tell whether nothing can match: one field exactly equal to two values, or ``in``
        an empty list."""
        seen: dict[str, Any] = {}
        for cond in self._required():
            if cond.lookup == "in" and not cond.operand:
                return True
            exact = cond.lookup == "exact" and cond.field.kind is not Kind.LIST
            if exact and seen.setdefault(cond.field.attribute, cond.operand) != cond.operand:
                return True
        return False

    def __str__(self) -> str:
        parts = [str(c) if isinstance(c, Condition) else f"({c})" for c in self.children]
        text = f" {self.connector} ".join(parts) if self.connector == Q.OR else ", ".join(parts)
        return f"NOT ({text})" if self.negated else text


def compile_q(model: type[Resource], q: Q) -> Where:
    """Check every filter of ``q`` against ``model``'s fields and build its tree."""
    children = [
        compile_q(model, child) if isinstance(child, Q) else condition(model, *child)
        for child in q.children
    ]
    return Where.of(children, q.connector, q.negated)
