"""The suppression list's model and its manager API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Final

from django.db import models
from django.utils import timezone

from notifiedby.resources.base import clean_choice, clean_email

__all__ = ["REASONS", "SOURCE_LENGTH", "Suppression", "SuppressionQuerySet", "normalise_address"]

BOUNCED: Final = "bounced"
COMPLAINED: Final = "complained"
MANUAL: Final = "manual"
#: Why an address is on the list: a hard bounce or a spam complaint reported by delivery
#: tracking, or someone put it there (the admin, the command, an import, your code).
REASONS: Final[list[tuple[str, str]]] = [
    (BOUNCED, "bounced"),
    (COMPLAINED, "complained"),
    (MANUAL, "manual"),
]
#: The longest ``source`` kept; a longer one is cut.
SOURCE_LENGTH: Final = 64
_clean_reason = clean_choice(value for value, _ in REASONS)


def normalise_address(address: object) -> str:
    """Return ``address`` checked and lower-cased, as the list stores and compares it.

    Raise NotifiedByInvalidArgument when it is not an email address.
    """
    return clean_email(address.strip() if isinstance(address, str) else address).lower()


class SuppressionQuerySet(models.QuerySet["Suppression"]):
    """Queries over the list; its methods take addresses in any case."""

    def suppress(self, address: object, *, reason: str = MANUAL, source: str = "") -> Suppression:
        """Put ``address`` on the list and return its entry; an address already there keeps
        its entry (its first reason, source and date).

        Raise NotifiedByInvalidArgument for a bad address or reason.
        """
        entry: Suppression
        entry, _ = self.get_or_create(
            address=normalise_address(address),
            defaults={"reason": _clean_reason(reason, "reason"), "source": source[:SOURCE_LENGTH]},
        )
        return entry

    def lift(self, address: object) -> bool:
        """Take ``address`` off the list; return whether it was on it."""
        deleted, _ = self.filter(address=normalise_address(address)).delete()
        return bool(deleted)

    def is_suppressed(self, address: object) -> bool:
        """Return whether ``address`` is on the list (one query)."""
        found: bool = self.filter(address=normalise_address(address)).exists()
        return found

    def suppressed(self, addresses: Iterable[str]) -> frozenset[str]:
        """Return those of ``addresses`` (as given) that are on the list, with one query."""
        given = {address: address.strip().lower() for address in addresses}
        if not given:
            return frozenset()
        listed = set(self.filter(address__in=set(given.values())).values_list("address", flat=True))
        return frozenset(address for address, key in given.items() if key in listed)


if TYPE_CHECKING:

    class SuppressionManager(models.Manager["Suppression"], SuppressionQuerySet): ...

else:
    SuppressionManager = models.Manager.from_queryset(SuppressionQuerySet, "SuppressionManager")


class Suppression(models.Model):
    """An address no email is sent to, why, who put it there and when."""

    #: Lower-cased, so the list compares addresses case-insensitively.
    address = models.EmailField(max_length=320, unique=True)
    reason = models.CharField(max_length=16, choices=REASONS, default=MANUAL)
    #: Who put it there: ``tracking``, ``admin``, ``command``, ``import``, or your own words.
    source = models.CharField(max_length=SOURCE_LENGTH, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects: ClassVar[SuppressionManager] = SuppressionManager()

    class Meta:
        app_label = "notifiedby"
        verbose_name = "suppressed address"
        verbose_name_plural = "suppression list"
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The admin's form saves through here: keep the one spelling the lookups expect.
        self.address = self.address.strip().lower()
        super().save(*args, **kwargs)
