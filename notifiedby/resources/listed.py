"""What a resource the API lists adds: Django's model protocol, and reloading.

Recipients, subscriptions and emails have querysets, so Django's helpers take them as they
take models: ``get_object_or_404(Recipient, email=...)`` finds the manager as
``_default_manager`` and names the model in its 404 with ``_meta.object_name``. Each one
reloads itself with ``refresh_from_db()``, whose arguments are Django's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from notifiedby.exceptions import NotifiedByInvalidArgument
from notifiedby.resources.base import Resource

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient
    from notifiedby.query import QuerySet

__all__ = ["DefaultManagerDescriptor", "ListedResource", "ModelMeta"]


@attrs.frozen
class ModelMeta:
    """The part of Django's ``Model._meta`` that Django's helpers read from these models."""

    #: The model's class name, which ``get_object_or_404`` puts in its 404 message.
    object_name: str


class DefaultManagerDescriptor:
    """Give ``Model._default_manager``, where Django's helpers look for a model's manager:
    the model's ``objects``, from the class only, as Django's is."""

    def __get__(self, instance: object | None, owner: type[Any]) -> Any:
        if instance is not None:
            msg = f"Manager isn't accessible via {owner.__name__} instances"
            raise AttributeError(msg)
        return owner.objects


@attrs.define(kw_only=True, eq=False, repr=False)
class ListedResource(Resource):
    """Base of the resources the API lists: Recipient, Subscription, Email."""

    #: Django's helpers name the model from this in their messages.
    _meta: ClassVar[ModelMeta]
    #: Django's ``get_object_or_404`` and ``get_list_or_404`` start from this manager.
    _default_manager: ClassVar[Any] = DefaultManagerDescriptor()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._meta = ModelMeta(object_name=cls.__name__)

    def _fetch_again(self, queryset: QuerySet[Any]) -> ListedResource:
        """Return this object as ``queryset`` reads it now; raise the model's DoesNotExist
        when it is not there."""
        raise NotImplementedError(f"{type(self).__name__} must implement _fetch_again")

    def refresh(self) -> None:
        """Reload every field from the API (docs/orm.md says how many requests, by model)."""
        self.refresh_from_db()

    def refresh_from_db(
        self,
        using: NotifiedByClient | None = None,
        fields: Iterable[str] | None = None,
        from_queryset: QuerySet[Any] | None = None,
    ) -> None:
        """Reload this object from the API, as Django's ``Model.refresh_from_db()`` does.

        ``using`` is the client to read through, which this object keeps afterwards (where
        Django takes a database alias). ``fields`` names the fields to update; the others
        keep their values, and an empty list reads nothing. ``from_queryset`` is a query of
        this model to read from: its client and filters apply, and the model's
        ``DoesNotExist`` is raised when this object is not in it.
        """
        names = None if fields is None else self._attribute_names(fields)
        if names is not None and not names:
            return
        if from_queryset is None:
            from_queryset = type(self)._default_manager.all()
            if using is None and self._client is not None:
                from_queryset = from_queryset.using(self._client)
        if using is not None:
            from_queryset = from_queryset.using(using)
        self._update_from(self._fetch_again(from_queryset), names)
        if using is not None:
            self._client = using

    async def arefresh_from_db(
        self,
        using: NotifiedByClient | None = None,
        fields: Iterable[str] | None = None,
        from_queryset: QuerySet[Any] | None = None,
    ) -> None:
        """Async version of :meth:`refresh_from_db`."""
        await asyncio.to_thread(self.refresh_from_db, using, fields, from_queryset)

    def _attribute_names(self, fields: Iterable[str]) -> set[str]:
        """Return the attribute names of the fields named as the API names them, before any
        request; raise NotifiedByInvalidArgument naming the choices for an unknown one."""
        known = {wire: field.name for wire, field in self._wire_fields()}
        names: set[str] = set()
        for name in [fields] if isinstance(fields, str) else fields:
            if name not in known:
                choices = ", ".join(sorted(known))
                msg = f"{type(self).__name__} has no field {name!r}. Choices are: {choices}."
                raise NotifiedByInvalidArgument(msg, argument="fields")
            names.add(known[name])
        return names
