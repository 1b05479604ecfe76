"""What every resource shares: the wire model base, managers and filters.

A resource is an ``attrs`` class built from the API's JSON by ``from_api`` and turned back
by ``to_dict``. Its manager (``Recipient.objects``) holds no query logic: every public method
of the resource's QuerySet is copied onto it as a one-line proxy, as Django does.
"""

from __future__ import annotations

import copy
import copyreg
import functools
import inspect
import re
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Generic, NoReturn, TypeVar, overload

import attrs

from notifiedby._wire.base import clean_choice, clean_email, clean_flags, clean_trigger
from notifiedby.client import client_or_default
from notifiedby.exceptions import MultipleObjectsReturned, ObjectDoesNotExist

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient
    from notifiedby.query import QuerySet

__all__ = [
    "BaseManager",
    "FilterField",
    "ManagerDescriptor",
    "Resource",
    "WireModel",
    "casefold_key",
    "clean_choice",
    "clean_email",
    "clean_flags",
    "clean_trigger",
    "format_datetime",
    "none_to_empty",
    "omit_if",
    "parse_datetime",
]

W = TypeVar("W", bound="WireModel")
R = TypeVar("R", bound="Resource")
MgrT = TypeVar("MgrT", bound="BaseManager[Any]")

# The attrs metadata key of a value that means "absent", so to_dict leaves the key out. A
# field's JSON key is its init name (its alias), so ``_flags`` travels as ``flags``.
_OMIT_IF = "notifiedby_omit_if"
_NO_OMIT = object()


# --- values -------------------------------------------------------------------------------


def parse_datetime(value: object) -> datetime | None:
    """Convert an ISO-8601 timestamp (``...Z`` included) to an aware datetime; keep None."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        msg = f"Expected an ISO-8601 timestamp, got {value!r}."
        raise TypeError(msg)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.10's fromisoformat accepts only 3 or 6 fraction digits; pad or cut to 6.
    text = re.sub(r"\.(\d+)", lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def format_datetime(value: datetime) -> str:
    """Write an aware datetime the way the API does: UTC with a ``Z``."""
    text = value.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


def omit_if(value: object) -> dict[str, Any]:
    """Return field metadata telling ``to_dict`` to leave the key out when it holds ``value``.

    For keys some answers lack: an email read from the list has no id.
    """
    return {_OMIT_IF: value}


def none_to_empty(value: str | None) -> str:
    """Convert a null name from the API to the empty string."""
    return "" if value is None else value


# --- models ---------------------------------------------------------------------------------


@attrs.define(kw_only=True, eq=False, repr=False)
class WireModel:
    """A typed view of one JSON object that keeps the keys it doesn't know in ``extra``."""

    #: Keys the server sent that this SDK version doesn't know, kept so nothing is lost.
    extra: dict[str, Any] = attrs.field(factory=dict, repr=False)

    @classmethod
    def _wire_fields(cls) -> list[tuple[str, attrs.Attribute[Any]]]:
        fields = [f for f in attrs.fields(cls) if f.name not in ("extra", "_client")]
        return [(str(f.alias), f) for f in fields]

    @classmethod
    def from_api(cls: type[W], data: object, client: NotifiedByClient | None = None) -> W:
        """Build an instance from the API's JSON object; unknown keys go to ``extra``."""
        if not isinstance(data, Mapping):
            msg = f"Expected a JSON object for {cls.__name__}, got {type(data).__name__}."
            raise TypeError(msg)
        known = {wire: f for wire, f in cls._wire_fields()}
        kwargs: dict[str, Any] = {
            str(known[key].alias): value for key, value in data.items() if key in known
        }
        extra = {key: value for key, value in data.items() if key not in known}
        if any(f.name == "_client" for f in attrs.fields(cls)):
            kwargs["client"] = client
        return cls(extra=extra, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON shape the API uses for this object, unknown keys included."""
        result: dict[str, Any] = dict(self.extra)
        for wire, f in self._wire_fields():
            value = getattr(self, f.name)
            omit_if = f.metadata.get(_OMIT_IF, _NO_OMIT)
            if omit_if is not _NO_OMIT and value == omit_if:
                continue
            if isinstance(value, datetime):
                value = format_datetime(value)
            elif isinstance(value, list):
                value = list(value)
            result[wire] = value
        return result


@attrs.define(kw_only=True, eq=False, repr=False)
class Resource(WireModel):
    """Base of the API resources: a manager, per-model exceptions, identity equality.

    Two instances are equal when they are the same kind and have the same identity (for
    example the same email address); instances with no identity are equal only to themselves.
    The client an instance came from is remembered and used by its methods.
    """

    DoesNotExist: ClassVar[type[ObjectDoesNotExist]] = ObjectDoesNotExist
    MultipleObjectsReturned: ClassVar[type[MultipleObjectsReturned]] = MultipleObjectsReturned
    #: The list endpoint (relative to /v1), or None when the API cannot list this resource.
    list_path: ClassVar[str | None] = None
    #: The filter names ``filter()`` accepts, and how each is sent and checked.
    filter_fields: ClassVar[Mapping[str, FilterField]] = {}

    _client: NotifiedByClient | None = attrs.field(default=None, alias="client", repr=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # attrs rebuilds slotted classes, so this runs twice per model; the second run finds
        # the classes in the copied namespace and keeps them.
        for name, base in (
            ("DoesNotExist", ObjectDoesNotExist),
            ("MultipleObjectsReturned", MultipleObjectsReturned),
        ):
            if name not in cls.__dict__:
                exc = type(name, (base,), {"__module__": cls.__module__})
                exc.__qualname__ = f"{cls.__qualname__}.{name}"
                setattr(cls, name, exc)

    def _identity(self) -> object:
        """Return what makes this object itself, or None when unknown."""
        raise NotImplementedError(f"{type(self).__name__} must implement _identity")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Resource):
            return NotImplemented
        if type(self) is not type(other):
            return False
        key = self._identity()
        if key is None:
            return self is other
        return bool(key == other._identity())

    def __hash__(self) -> int:
        key = self._identity()
        if key is None:
            msg = f"{type(self).__name__} instances without an id are unhashable."
            raise TypeError(msg)
        return hash((type(self).__name__, key))

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self}>"

    def _get_client(self) -> NotifiedByClient:
        return client_or_default(self._client)

    def using(self: R, client: NotifiedByClient) -> R:
        """Return a copy of this object that talks to the API through ``client``.

        For an object that has lost its client, as one read back from a pickle has.
        """
        return attrs.evolve(self, client=client)

    def _update_from(self, other: Resource, fields: Collection[str] | None = None) -> None:
        """Copy the fields of ``other`` (the same model, read again) except its client: all of
        them, or those whose attribute names are in ``fields``."""
        for field in attrs.fields(type(self)):
            if field.name != "_client" and (fields is None or field.name in fields):
                setattr(self, field.name, getattr(other, field.name))

    # --- copying and pickling -------------------------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        # The client holds a lock and an HTTP session, which don't pickle, and a pickle may
        # be read in another process (a cache, a Celery worker): leave it out. The object
        # read back uses the default client, or the one using() gives it.
        state = {field.name: getattr(self, field.name) for field in attrs.fields(type(self))}
        state["_client"] = None
        # copyreg.__newobj__ is pickle's own "cls.__new__(cls)"; typeshed leaves it out.
        return (copyreg.__newobj__, (type(self),), state)  # type: ignore[attr-defined]

    # The copy module would go through __reduce__ and lose the client; a copy keeps it.
    def __copy__(self: R) -> R:
        return attrs.evolve(self)

    def __deepcopy__(self: R, memo: dict[int, Any]) -> R:
        # The client is shared, not copied: it is a connection, not data.
        changes = {
            str(field.alias): copy.deepcopy(getattr(self, field.name), memo)
            for field in attrs.fields(type(self))
            if field.name != "_client"
        }
        return attrs.evolve(self, **changes)


# --- filters ----------------------------------------------------------------------------------


@attrs.frozen
class FilterField:
    """How one ``filter()`` argument is checked, sent, and re-checked on each result."""

    #: The model attribute compared with the filter value.
    attribute: str
    #: The query parameter sent to the server, or None for a filter checked only locally.
    param: str | None
    #: Validate the user's value and return the value to send and compare.
    clean: Callable[[Any, str], Any]
    #: Normalise both sides before comparing (emails compare case-insensitively).
    key: Callable[[Any], Any] = lambda value: value

    def matches(self, obj: object, value: Any) -> bool:
        """Tell whether ``obj`` satisfies this filter with ``value``."""
        actual = getattr(obj, self.attribute, None)
        return actual is not None and bool(self.key(actual) == self.key(value))


def casefold_key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


# --- managers ---------------------------------------------------------------------------------


class BaseManager(Generic[R]):
    """The entry point for a resource's queries: ``Recipient.objects``.

    Build concrete managers with :meth:`from_queryset`; every public QuerySet method becomes
    a method here that starts a fresh QuerySet, so managers never hold query logic.
    """

    _queryset_class: ClassVar[type[QuerySet[Any]]]

    def __init__(self, model: type[R], client: NotifiedByClient | None = None) -> None:
        #: The resource class this manager serves.
        self.model = model
        #: The client its querysets use; None means the default client from settings.
        self._client = client

    def get_queryset(self) -> QuerySet[R]:
        """Return a new QuerySet over every object of the resource."""
        return self._queryset_class(self.model, client=self._client)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} for {self.model.__name__}>"

    @classmethod
    def from_queryset(
        cls, queryset_class: type[QuerySet[Any]], class_name: str | None = None
    ) -> type[BaseManager[Any]]:
        """Return a manager class whose methods proxy ``queryset_class``'s public methods."""
        name = class_name or f"{cls.__name__}From{queryset_class.__name__}"
        namespace: dict[str, Any] = {
            "_queryset_class": queryset_class,
            **cls._queryset_methods(queryset_class),
        }
        return type(name, (cls,), namespace)

    @classmethod
    def _queryset_methods(cls, queryset_class: type[Any]) -> dict[str, Any]:
        def proxy(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(method)
            def manager_method(self: BaseManager[Any], *args: Any, **kwargs: Any) -> Any:
                return getattr(self.get_queryset(), name)(*args, **kwargs)

            return manager_method

        methods: dict[str, Any] = {}
        for name, method in inspect.getmembers(queryset_class, predicate=inspect.isfunction):
            # Private methods stay private; queryset_only ones (delete) must be asked for
            # explicitly on a queryset, so a manager can't wipe everything by accident.
            if hasattr(cls, name) or name.startswith("_"):
                continue
            if getattr(method, "queryset_only", False):
                continue
            methods[name] = proxy(name, method)
        return methods


class ManagerDescriptor(Generic[MgrT]):
    """Give the resource class a manager, and refuse access from instances like Django."""

    def __init__(self, manager_class: type[MgrT]) -> None:
        self.manager_class = manager_class
        self.name = "objects"

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> MgrT: ...

    @overload
    def __get__(self, instance: object, owner: type[Any]) -> NoReturn: ...

    def __get__(self, instance: object | None, owner: type[Any]) -> MgrT:
        if instance is not None:
            msg = f"Manager isn't accessible via {owner.__name__} instances"
            raise AttributeError(msg)
        # A manager is two attributes; building one per access binds it to ``owner``, the
        # final class attrs made, rather than the class object seen at definition time.
        return self.manager_class(owner)
