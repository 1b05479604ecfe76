"""Recipients: the people mail goes to, with their flags.

Endpoints: ``POST /recipients/`` (create or update, keyed by email), ``GET /recipients/``
(list, filter ``email``), ``POST /recipients/flags/set/`` and ``/flags/clear/``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from notifiedby import bulk
from notifiedby._wire import recipients as wire
from notifiedby._wire.base import clean_email, clean_flags
from notifiedby.query import QuerySet
from notifiedby.resources.base import (
    BaseManager,
    FilterField,
    ManagerDescriptor,
    casefold_key,
    none_to_empty,
    parse_datetime,
)
from notifiedby.resources.email import Email, EmailManager, EmailQuerySet
from notifiedby.resources.flow import (
    Flow,
    Subscription,
    SubscriptionManager,
    SubscriptionQuerySet,
)
from notifiedby.resources.listed import ListedResource

__all__ = ["Recipient", "RecipientFlags", "RecipientManager", "RecipientQuerySet"]


def _upsert_fields(item: object) -> dict[str, Any]:
    """Return upsert's arguments for a bulk item: an address, a dict, a Recipient."""
    if isinstance(item, Recipient):
        return {
            "email": item.email,
            "first_name": item.first_name,
            "last_name": item.last_name,
            "flags": item._flags,
        }
    if isinstance(item, Mapping):
        return dict(item)
    return {"email": item}


class RecipientQuerySet(QuerySet["Recipient"]):
    """Queries over recipients: the server filters by ``email`` (exact, case-insensitive);
    every other lookup is checked on each recipient as pages stream."""

    def create(
        self,
        *,
        email: str,
        first_name: str | None = None,
        last_name: str | None = None,
        flags: Iterable[str] | str | None = None,
    ) -> Recipient:
        """Create the recipient, or update it if the email is known (one request).

        The API upserts by email: given names replace the stored ones, and given flags are
        added to the stored flags (remove flags with ``recipient.flags.remove``).
        """
        client = self._get_client()
        request = wire.RecipientUpsert(
            email=email, first_name=first_name, last_name=last_name, flags=flags
        )
        return Recipient.from_api(wire.upsert(client, request), client)

    def upsert(
        self,
        email: object,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        flags: Iterable[str] | str | None = None,
    ) -> dict[str, Any]:
        """Create or update the recipient ``email`` (one request), as :meth:`create` does;
        return the API's answer as it came (the recipient)."""
        request = wire.RecipientUpsert(
            email=email, first_name=first_name, last_name=last_name, flags=flags
        )
        return wire.upsert(self._get_client(), request)

    def set_flags(self, email: object, flags: Iterable[str] | str) -> dict[str, Any]:
        """Set ``flags`` on the recipient ``email`` (one request; unknown flag names are
        created); return the API's answer as it came (``{"message": ...}``)."""
        return wire.set_flags(self._get_client(), wire.FlagsChange(email=email, flags=flags))

    def clear_flags(self, email: object, flags: Iterable[str] | str) -> dict[str, Any]:
        """Clear ``flags`` from the recipient ``email`` (one request); return the API's answer
        as it came (``{"message": ...}``)."""
        return wire.clear_flags(self._get_client(), wire.FlagsChange(email=email, flags=flags))

    def _upsert(self, fields: dict[str, Any]) -> tuple[Recipient, bool]:
        """Upsert, for ``update_or_create()``: one request, answered 201 when it created."""
        client = self._get_client()
        answer, created = wire.upsert_created(client, wire.RecipientUpsert(**fields))
        return Recipient.from_api(answer, client), created

    def bulk_upsert(
        self,
        items: Iterable[object],
        *,
        concurrency: int = bulk.DEFAULT_CONCURRENCY,
        progress: bulk.Progress | None = None,
        on_result: bulk.OnResult | None = None,
    ) -> bulk.BulkSummary[Any, Recipient]:
        """Create or update many recipients, ``concurrency`` requests at a time.

        Each item is an address, a Recipient, or a dict with ``email`` and optionally
        ``first_name``, ``last_name`` and ``flags``, upserted as :meth:`create` does. A result's
        value is the Recipient; failures don't stop the run (see docs/bulk.md).
        """
        client = self._get_client()
        queryset = self.using(client)

        def upsert(item: object) -> Recipient:
            return Recipient.from_api(queryset.upsert(**_upsert_fields(item)), client)

        return bulk.run(
            upsert, items, concurrency=concurrency, progress=progress, on_result=on_result
        )

    def bulk_set_flags(
        self,
        recipients: Iterable[object],
        flags: str | Iterable[str],
        *,
        concurrency: int = bulk.DEFAULT_CONCURRENCY,
        progress: bulk.Progress | None = None,
        on_result: bulk.OnResult | None = None,
    ) -> bulk.BulkSummary[Any, dict[str, Any]]:
        """Set ``flags`` on each recipient (an address or a Recipient): one request each."""
        return self._bulk_flags(recipients, flags, True, concurrency, progress, on_result)

    def bulk_clear_flags(
        self,
        recipients: Iterable[object],
        flags: str | Iterable[str],
        *,
        concurrency: int = bulk.DEFAULT_CONCURRENCY,
        progress: bulk.Progress | None = None,
        on_result: bulk.OnResult | None = None,
    ) -> bulk.BulkSummary[Any, dict[str, Any]]:
        """Clear ``flags`` from each recipient (an address or a Recipient): one request each."""
        return self._bulk_flags(recipients, flags, False, concurrency, progress, on_result)

    def _bulk_flags(
        self,
        recipients: Iterable[object],
        flags: str | Iterable[str],
        add: bool,
        concurrency: int,
        progress: bulk.Progress | None,
        on_result: bulk.OnResult | None,
    ) -> bulk.BulkSummary[Any, dict[str, Any]]:
        names = clean_flags(flags)  # a bad flag name fails once, before any request
        queryset = self.using(self._get_client())
        change = queryset.set_flags if add else queryset.clear_flags
        return bulk.run(
            lambda recipient: change(recipient, names),
            recipients,
            concurrency=concurrency,
            progress=progress,
            on_result=on_result,
        )


if TYPE_CHECKING:

    class RecipientManager(BaseManager["Recipient"], RecipientQuerySet): ...

else:
    RecipientManager = BaseManager.from_queryset(RecipientQuerySet, "RecipientManager")


class RecipientFlags:
    """The flags of one recipient, managed like a Django related manager.

    ``add``, ``remove``, ``set`` and ``clear`` call the API at once and keep the recipient's
    local list in step; iteration, ``in`` and ``len`` read the local list, as last seen.
    """

    def __init__(self, recipient: Recipient) -> None:
        self._recipient = recipient

    def _names(self, flags: tuple[object, ...]) -> list[str]:
        # add("a", "b") and add(["a", "b"]) both mean two flags; a lone string is one flag.
        names: list[str] = []
        for item in flags:
            names.extend(name for name in clean_flags(item) if name not in names)
        return names

    def add(self, *flags: str | Iterable[str]) -> None:
        """Set these flags on the recipient (one request; none if no flag is given)."""
        names = self._names(flags)
        if names:
            self._recipient._manager().set_flags(self._recipient.email, names)
            current = self._recipient._flags
            current.extend(name for name in names if name not in current)

    def remove(self, *flags: str | Iterable[str]) -> None:
        """Clear these flags from the recipient (one request; none if no flag is given)."""
        names = self._names(flags)
        if names:
            self._recipient._manager().clear_flags(self._recipient.email, names)
            self._recipient._flags[:] = [f for f in self._recipient._flags if f not in names]

    def set(self, flags: str | Iterable[str]) -> None:
        """Make the flags exactly ``flags``: add the missing, clear the others (0-2 requests).

        The difference is taken against the flags this object last saw.
        """
        wanted = clean_flags(flags)
        self.remove([f for f in self._recipient._flags if f not in wanted])
        self.add([f for f in wanted if f not in self._recipient._flags])

    def clear(self) -> None:
        """Clear every flag this object knows of (one request; none if it has none)."""
        self.remove(list(self._recipient._flags))

    def all(self) -> list[str]:
        """Return the flag names as a new list."""
        return list(self._recipient._flags)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._recipient._flags))

    def __contains__(self, flag: object) -> bool:
        return flag in self._recipient._flags

    def __len__(self) -> int:
        return len(self._recipient._flags)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecipientFlags):
            return self.all() == other.all()
        if isinstance(other, (list, tuple)):
            return self.all() == list(other)
        if isinstance(other, (set, frozenset)):
            return set(self.all()) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"<RecipientFlags {self.all()!r}>"


@attrs.define(kw_only=True, eq=False, repr=False)
class Recipient(ListedResource):
    """A person NotifiedBy mails; identified by email address (case-insensitive)."""

    list_path: ClassVar[str | None] = wire.RECIPIENTS_PATH
    filter_fields: ClassVar[dict[str, FilterField]] = {
        "email": FilterField("email", "email", clean_email, casefold_key),
    }
    objects = ManagerDescriptor(RecipientManager)

    #: The email address: what identifies a recipient.
    email: str = attrs.field()
    #: The API's short opaque id.
    sqid: str | None = attrs.field(default=None)
    first_name: str = attrs.field(default="", converter=none_to_empty)
    last_name: str = attrs.field(default="", converter=none_to_empty)
    _flags: list[str] = attrs.field(factory=list, alias="flags", converter=list)
    has_been_sent_email: bool = attrs.field(default=False)
    created_at: datetime | None = attrs.field(default=None, converter=parse_datetime)
    updated_at: datetime | None = attrs.field(default=None, converter=parse_datetime)

    def __str__(self) -> str:
        return self.email

    def _identity(self) -> object:
        return self.email.casefold()

    @property
    def flags(self) -> RecipientFlags:
        """The recipient's flags: iterate them, test with ``in``, change with add/remove/set."""
        return RecipientFlags(self)

    @flags.setter
    def flags(self, value: object) -> None:
        raise TypeError("Direct assignment to flags is prohibited. Use flags.set() instead.")

    # The related querysets take this object's client as it is, None included, so the
    # default client is looked up when a query runs, not when it is built.
    @property
    def subscriptions(self) -> SubscriptionQuerySet:
        """This recipient's flow subscriptions: ``Subscription.objects.filter(email=...)``
        through this recipient's client, a lazy QuerySet."""
        return SubscriptionManager(Subscription, self._client).filter(email=self.email)

    @property
    def emails(self) -> EmailQuerySet:
        """The emails sent to this recipient, newest first: ``Email.objects.filter(
        recipient=...)`` through this recipient's client, a lazy QuerySet."""
        return EmailManager(Email, self._client).filter(recipient=self.email)

    def save(self) -> None:
        """Send the names and flags to the API (an upsert: one request) and reload them."""
        data = self._manager().upsert(
            self.email, first_name=self.first_name, last_name=self.last_name, flags=self._flags
        )
        self._update_from(Recipient.from_api(data))

    def _fetch_again(self, queryset: QuerySet[Any]) -> Recipient:
        """Read this recipient through ``queryset`` (one request, filtered by email)."""
        fresh: Recipient = queryset.get(email=self.email)
        return fresh

    def _manager(self) -> RecipientQuerySet:
        return Recipient.objects.using(self._get_client())

    def subscribe(self, flow: object, *, flags: str | Iterable[str] | None = None) -> Subscription:
        """Subscribe this recipient to ``flow`` (a Flow or a trigger) with its names."""
        handle = Flow.objects.using(self._get_client()).get(trigger=flow)
        return handle.subscribe(
            self, first_name=self.first_name or None, last_name=self.last_name or None, flags=flags
        )

    def unsubscribe(self, flow: object) -> None:
        """Cancel this recipient's active subscription to ``flow`` (a Flow or a trigger)."""
        Flow.objects.using(self._get_client()).get(trigger=flow).unsubscribe(self)
