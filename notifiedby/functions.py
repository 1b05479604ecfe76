"""The documented function API: a few lines each over the resources, plain dicts out.

Every function takes an optional ``client`` (a NotifiedByClient); without one it uses the
client built from settings (Django settings, then environment variables). Write calls return
the API's answer as it came; list calls return the API's envelope
``{"count", "next", "previous", "results"}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from notifiedby.client import client_or_default
from notifiedby.exceptions import NotifiedByInvalidArgument
from notifiedby.resources import Email, Flow, Recipient, Subscription

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient
    from notifiedby.query import QuerySet

__all__ = [
    "RecipientList",
    "clear_recipient_flags",
    "create_or_update_recipient",
    "create_recipient",
    "delete_all_subscriptions",
    "get_delivery_status",
    "get_email_delivery_status",
    "get_email_detail",
    "list_emails",
    "list_flow_subscriptions",
    "list_recipients",
    "list_sent_emails",
    "set_recipient_flags",
    "subscribe_to_flow",
    "unsubscribe_from_flow",
]


# --- flows ---------------------------------------------------------------------------------


def subscribe_to_flow(
    flow_trigger: str,
    email: str,
    first_name: str | None = None,
    last_name: str | None = None,
    flags: Iterable[str] | str | None = None,
    client: NotifiedByClient | None = None,
) -> dict[str, Any]:
    """Subscribe ``email`` to the flow, creating the recipient if needed.

    Returns the API's answer: ``{"detail": "...", "subscription_id": 42}``.
    """
    return Flow.objects.using(client_or_default(client)).subscribe(
        flow_trigger, email, first_name=first_name, last_name=last_name, flags=flags
    )


def unsubscribe_from_flow(
    flow_trigger: str, email: str, client: NotifiedByClient | None = None
) -> dict[str, Any]:
    """Stop the flow for ``email`` (its subscription becomes ``cancelled``)."""
    return Flow.objects.using(client_or_default(client)).unsubscribe(flow_trigger, email)


def list_flow_subscriptions(
    page: int = 1,
    client: NotifiedByClient | None = None,
    *,
    email: str | None = None,
    flow_trigger: str | None = None,
) -> dict[str, Any]:
    """Return one page of subscriptions: ``{"count", "next", "previous", "results"}``.

    A server that answers with a bare list gets its list wrapped in that envelope.
    """
    queryset = Subscription.objects.using(client_or_default(client)).all()
    if email is not None:
        queryset = queryset.filter(email=email)
    if flow_trigger is not None:
        queryset = queryset.filter(flow_trigger=flow_trigger)
    return queryset.page(page).to_dict()


def delete_all_subscriptions(client: NotifiedByClient | None = None) -> int:
    """Delete every subscription of the team; return how many were deleted.

    The API has no single request for this: it lists them all, then deletes them one
    (recipient, flow) pair at a time. It can't be undone.
    """
    return Subscription.objects.using(client_or_default(client)).all().delete()


# --- recipients and flags --------------------------------------------------------------------


def create_recipient(
    email: str,
    first_name: str | None = None,
    last_name: str | None = None,
    flags: Iterable[str] | str | None = None,
    client: NotifiedByClient | None = None,
) -> dict[str, Any]:
    """Create the recipient, or update it when the email is known; return the recipient.

    Names given replace the stored ones; flags given are added to the stored flags.
    """
    return Recipient.objects.using(client_or_default(client)).upsert(
        email, first_name=first_name, last_name=last_name, flags=flags
    )


#: The name the package used before 1.0.
create_or_update_recipient = create_recipient


class RecipientList(Iterable[dict[str, Any]]):
    """Every recipient as a dict, read page by page as a loop reaches them.

    Each loop reads the pages again, so it sees recipients added meanwhile.
    """

    def __init__(self, queryset: QuerySet[Recipient]) -> None:
        self._queryset = queryset

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (recipient.to_dict() for recipient in self._queryset.iterator())

    def __repr__(self) -> str:
        return f"<RecipientList of {self._queryset!r}>"


def list_recipients(
    client: NotifiedByClient | None = None, *, email: str | None = None
) -> RecipientList:
    """Return every recipient (all pages) as an iterable of dicts, read lazily."""
    queryset = Recipient.objects.using(client_or_default(client)).all()
    if email is not None:
        queryset = queryset.filter(email=email)
    return RecipientList(queryset)


def set_recipient_flags(
    email: str, flags: Iterable[str] | str, client: NotifiedByClient | None = None
) -> dict[str, Any]:
    """Set flags on the recipient (unknown flag names are created); return the API's answer."""
    return Recipient.objects.using(client_or_default(client)).set_flags(email, flags)


def clear_recipient_flags(
    email: str, flags: Iterable[str] | str, client: NotifiedByClient | None = None
) -> dict[str, Any]:
    """Clear flags from the recipient; return the API's answer."""
    return Recipient.objects.using(client_or_default(client)).clear_flags(email, flags)


# --- emails ------------------------------------------------------------------------------------


def get_email_detail(
    email_id: str | None = None,
    *,
    sqid: str | None = None,
    email: str | None = None,
    client: NotifiedByClient | None = None,
) -> dict[str, Any]:
    """Return one email's detail (``recipient``, ``subject``, ``created_on``, ``body``).

    Give its id (``email_id``, or ``sqid`` as older code did), or ``email`` for the most
    recent email sent to that address.
    """
    given = [
        name
        for name, value in (("email_id", email_id), ("sqid", sqid), ("email", email))
        if value is not None
    ]
    if len(given) != 1:
        msg = "get_email_detail: give exactly one of email_id, sqid or email."
        raise NotifiedByInvalidArgument(msg)
    emails = Email.objects.using(client_or_default(client))
    return emails.detail(email_id if email_id is not None else sqid, address=email)


def list_emails(
    page: int = 1, client: NotifiedByClient | None = None, *, recipient: str | None = None
) -> dict[str, Any]:
    """Return one page of sent emails, newest first: ``{"count", "next", "previous", "results"}``.

    The items carry ``recipient``, ``subject`` and ``created_on`` but no id.
    """
    queryset = Email.objects.using(client_or_default(client)).all()
    if recipient is not None:
        queryset = queryset.filter(recipient=recipient)
    return queryset.page(page).to_dict()


#: The name the package used before 1.0.
list_sent_emails = list_emails


def get_delivery_status(
    email_id: str | None = None, *, sqid: str | None = None, client: NotifiedByClient | None = None
) -> dict[str, Any]:
    """Return an email's delivery status: ``{"id", "status", "ses_id"}``."""
    if (email_id is None) == (sqid is None):
        msg = "get_delivery_status: give exactly one of email_id or sqid."
        raise NotifiedByInvalidArgument(msg)
    emails = Email.objects.using(client_or_default(client))
    return emails.delivery(email_id if email_id is not None else sqid)


#: The name the package used before 1.0.
get_email_delivery_status = get_delivery_status
