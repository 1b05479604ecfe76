"""The fields of each resource, as ``filter()``, ``values()`` and ``order_by()`` name them.

A model's fields are its attributes (a list by its API name, ``flags``), its
``filter_fields`` (the names the API filters by, and aliases such as a subscription's
``recipient``) and ``pk``. Each has a :class:`Kind`, which decides the lookups it takes and
how a value given for it is checked, before any request.
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Any

import attrs

from notifiedby._wire.base import clean_flags, invalid
from notifiedby.exceptions import NotifiedByInvalidArgument

if TYPE_CHECKING:
    from notifiedby.resources.base import FilterField, Resource

__all__ = ["LOOKUPS", "Field", "Kind", "field_named", "fields_of", "resolve", "unique_field"]

#: The field ``pk`` names: a model's ``id``, else its ``email`` (a recipient's identity).
PK_CANDIDATES = ("id", "email")


class Kind(enum.Enum):
    """What a field holds, which decides the lookups it takes."""

    TEXT = "text"
    NUMBER = "number"
    BOOL = "bool"
    DATETIME = "datetime"
    LIST = "list"


_ORDERED = ("exact", "in", "gt", "gte", "lt", "lte", "range", "isnull")
#: The lookups each kind of field takes, with Django's names and meanings.
LOOKUPS: dict[Kind, tuple[str, ...]] = {
    Kind.TEXT: (
        *("exact", "iexact", "in", "contains", "icontains", "startswith", "istartswith"),
        *("endswith", "iendswith", "gt", "gte", "lt", "lte", "range", "isnull"),
    ),
    Kind.NUMBER: _ORDERED,
    Kind.DATETIME: _ORDERED,
    Kind.BOOL: ("exact", "in", "isnull"),
    # On a list of flags, ``contains`` means membership: every given flag is among them.
    Kind.LIST: ("exact", "contains", "isnull"),
}


# --- fields --------------------------------------------------------------------------------


def _same(value: Any) -> Any:
    return value


@attrs.frozen
class Field:
    """One name ``filter()``, ``values()`` and ``order_by()`` take on one model."""

    model: type[Resource]
    name: str
    #: The model attribute read on each object.
    attribute: str
    kind: Kind
    #: The query parameter the server filters by for an exact lookup; None: only checked here.
    param: str | None = None
    #: Check an ``exact`` or ``in`` value and return it as sent and compared.
    clean: Callable[[Any, str], Any] | None = None
    #: Normalise both sides of an ``exact`` or ``in`` comparison (emails ignore case).
    key: Callable[[Any], Any] = _same

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by name: ``clean`` and ``key`` may be closures.
        return (field_named, (self.model, self.name))

    def check(self, value: Any, argument: str) -> Any:
        """Return ``value`` if it is of this field's kind (a string, a datetime...); else
        raise NotifiedByInvalidArgument naming ``argument``."""
        return _CLEAN[self.kind](value, argument)

    def clean_exact(self, value: Any, argument: str) -> Any:
        """Check a value to compare equal to, with the field's own ``clean`` if it has one."""
        return self.check(value, argument) if self.clean is None else self.clean(value, argument)

    def read(self, obj: object) -> Any:
        """Return this field's value on ``obj`` (a list is copied)."""
        value = getattr(obj, self.attribute, None)
        return list(value) if isinstance(value, list) else value


def _kind(annotation: object) -> Kind:
    # Annotations are strings here (``from __future__ import annotations``): "datetime | None".
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    base = text.split("|")[0].strip()
    if base.startswith("list"):
        return Kind.LIST
    return {"datetime": Kind.DATETIME, "bool": Kind.BOOL, "int": Kind.NUMBER}.get(base, Kind.TEXT)


def fields_of(model: type[Resource]) -> Mapping[str, Field]:
    """Return every field name of ``model``, by name: its attributes (a list's by its API
    name, ``flags``), its ``filter_fields`` and ``pk``. An attribute the server filters on
    under another name (a subscription's ``recipient_email`` as ``email``) is sent as that."""
    known = _FIELDS.get(model)
    if known is None:
        known = _FIELDS[model] = _build_fields(model)
    return known


#: Each model's fields, built on first use.
_FIELDS: dict[type[Resource], Mapping[str, Field]] = {}


def _build_fields(model: type[Resource]) -> Mapping[str, Field]:
    kinds = {f.name: _kind(f.type) for _, f in model._wire_fields()}
    # An attribute the API filters by is sent as its filter_fields entry says, by any name.
    sent: dict[str, FilterField] = {}
    for known in model.filter_fields.values():
        sent.setdefault(known.attribute, known)
    names = [(name, f.name, sent.get(f.name)) for name, f in model._wire_fields()]
    names += [(name, known.attribute, known) for name, known in model.filter_fields.items()]
    fields = {
        name: _field(model, name, attribute, kinds[attribute], known)
        for name, attribute, known in names
    }
    pk = next(name for name in PK_CANDIDATES if name in fields)
    fields["pk"] = attrs.evolve(fields[pk], name="pk")
    return fields


def _field(
    model: type[Resource], name: str, attribute: str, kind: Kind, sent: FilterField | None
) -> Field:
    if sent is None:
        return Field(model, name, attribute, kind)
    return Field(model, name, attribute, kind, sent.param, sent.clean, sent.key)


def field_named(model: type[Resource], name: str) -> Field:
    """Return the field ``name`` of ``model`` (how a pickled Field is rebuilt)."""
    return fields_of(model)[name]


def resolve(model: type[Resource], name: str) -> Field:
    """Return the field ``name`` of ``model``; raise naming the choices if there is none."""
    fields = fields_of(model)
    if name not in fields:
        choices = ", ".join(sorted(fields))
        msg = f"Cannot resolve {name!r} into a {model.__name__} field. Choices are: {choices}."
        raise NotifiedByInvalidArgument(msg, argument=name)
    return fields[name]


def unique_field(model: type[Resource], name: str) -> Field:
    """Return the field ``name`` if it tells objects apart (``pk``, ``id``, ``sqid``, a
    recipient's ``email``), as ``in_bulk()`` needs; else raise ValueError."""
    fields = fields_of(model)
    attributes = (fields["pk"].attribute, "id", "sqid")
    if resolve(model, name).attribute not in attributes:
        choices = ", ".join(sorted(key for key, f in fields.items() if f.attribute in attributes))
        msg = f"in_bulk()'s field_name must be a unique field but {name!r} isn't."
        raise ValueError(f"{msg} Choices are: {choices}.")
    return fields[name]


# --- values ---------------------------------------------------------------------------------


def _expect(kind: type, what: str) -> Callable[[Any, str], Any]:
    def clean(value: Any, argument: str) -> Any:
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise invalid(argument, f"expected {what}, got {type(value).__name__}.")
        return value

    return clean


def _default_timezone() -> tzinfo:
    from django.conf import settings

    if settings.configured:
        from django.utils import timezone as django_timezone

        zone: tzinfo = django_timezone.get_default_timezone()
        return zone
    return timezone.utc


def _aware(value: Any, argument: str) -> datetime:
    """Return ``value`` as an aware datetime, as Django compares them with ``USE_TZ``: a naive
    one is read in the default time zone (Django's ``TIME_ZONE``, else UTC), with a warning."""
    if not isinstance(value, datetime):
        raise invalid(argument, f"expected a datetime, got {type(value).__name__}.")
    if value.utcoffset() is not None:
        return value
    from django.conf import settings

    if not settings.configured or settings.USE_TZ:
        msg = f"{argument} received a naive datetime ({value}) while time zone support is active."
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
    return value.replace(tzinfo=_default_timezone())


#: How a value is checked for each kind of field, when the field has no ``clean`` of its own.
_CLEAN: dict[Kind, Callable[[Any, str], Any]] = {
    Kind.TEXT: _expect(str, "a string"),
    Kind.NUMBER: _expect(int, "a whole number"),
    Kind.BOOL: _expect(bool, "True or False"),
    Kind.DATETIME: _aware,
    Kind.LIST: clean_flags,
}
