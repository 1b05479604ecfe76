"""The command line's API commands: recipients, flags, subscriptions, emails and ``check``.

Each command is a short function over the resources and the flat functions; none builds a
URL. Their arguments are in :mod:`notifiedby.cli.parser`; shared plumbing (exit codes, the
client, logging) is in :mod:`notifiedby.cli.runtime`. Each command imports the SDK when it
runs, so that ``--version``, ``--help`` and the ``sandbox`` command start without loading
the HTTP client.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any, TypeVar

from notifiedby.cli.format import Progress, print_json, print_record, print_table
from notifiedby.cli.runtime import read_text
from notifiedby.exceptions import NotifiedByInvalidArgument, NotifiedByNotFoundError

if TYPE_CHECKING:
    from collections.abc import Callable

    from notifiedby.client import NotifiedByClient
    from notifiedby.query import QuerySet
    from notifiedby.resources import Email, Recipient, Subscription, SubscriptionQuerySet
    from notifiedby.resources.base import Resource

__all__ = [
    "check",
    "emails_list",
    "emails_send",
    "emails_show",
    "emails_status",
    "flags_add",
    "flags_remove",
    "recipients_create",
    "recipients_get",
    "recipients_list",
    "subscribe",
    "subscriptions_delete",
    "subscriptions_list",
    "unsubscribe",
]

M = TypeVar("M", bound="Resource")

_RECIPIENT_COLUMNS = ("EMAIL", "FIRST NAME", "LAST NAME", "FLAGS", "CREATED")
_SUBSCRIPTION_COLUMNS = ("ID", "EMAIL", "FLOW", "STATUS", "STEP", "NEXT SEND")
_EMAIL_COLUMNS = ("SENT", "RECIPIENT", "SUBJECT")


def _show_listing(
    queryset: QuerySet[M],
    args: argparse.Namespace,
    columns: tuple[str, ...],
    row: Callable[[M], tuple[object, ...]],
    *,
    countable: bool = True,
) -> None:
    """Print a listing as a table or JSON, with a progress line while it reads.

    ``countable`` means the server's count is exact, so the line can draw a bar (it costs one
    request, made only for a terminal).
    """
    if args.limit is not None:
        queryset = queryset[: args.limit]
    progress = Progress(f"Reading {queryset.model.__name__.lower()}s")
    if progress.enabled and countable:
        progress.total = queryset.count()
    items = list(progress.track(queryset.iterator()))
    if args.json:
        print_json([item.to_dict() for item in items])
    else:
        print_table(columns, [row(item) for item in items])


def _show_recipient(recipient: Recipient, as_json: bool) -> None:
    if as_json:
        print_json(recipient.to_dict())
        return
    print_record(
        [
            ("Email", recipient.email),
            ("First name", recipient.first_name or None),
            ("Last name", recipient.last_name or None),
            ("Flags", recipient.flags.all()),
            ("Has been sent email", recipient.has_been_sent_email),
            ("Created", recipient.created_at),
            ("Updated", recipient.updated_at),
        ]
    )


def _show_subscription(sub: Subscription, as_json: bool) -> None:
    if as_json:
        print_json(sub.to_dict())
        return
    flow = f"{sub.flow_trigger} ({sub.flow_name})" if sub.flow_name else sub.flow_trigger
    print_record(
        [
            ("Id", sub.id),
            ("Email", sub.recipient_email),
            ("Flow", flow),
            ("Status", sub.status),
            ("Step", sub.current_step_order),
            ("Next send", sub.next_send_date),
        ]
    )


def _show_answer(answer: dict[str, Any], key: str, args: argparse.Namespace) -> None:
    """Print an API answer: its ``key`` sentence for people, all of it with ``--json``, and
    nothing with ``--quiet``."""
    if args.json:
        print_json(answer)
    elif not args.quiet:
        print(answer.get(key) or "Done.")


# --- The commands. --------------------------------------------------------------------------


def check(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Recipient

    started = time.monotonic()
    Recipient.objects.using(client).exists()  # one small authenticated request
    elapsed_ms = round((time.monotonic() - started) * 1000)
    if args.json:
        print_json({"ok": True, "base_url": client.base_url, "elapsed_ms": elapsed_ms})
    elif not args.quiet:
        print(f"OK: {client.base_url} accepted the API key ({elapsed_ms} ms).")


def recipients_list(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Recipient

    queryset = Recipient.objects.using(client).all()
    if args.email:
        queryset = queryset.filter(email=args.email)
    _show_listing(
        queryset,
        args,
        _RECIPIENT_COLUMNS,
        lambda r: (r.email, r.first_name, r.last_name, r.flags.all(), r.created_at),
    )


def recipients_get(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Recipient

    _show_recipient(Recipient.objects.using(client).get(email=args.email), args.json)


def recipients_create(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Recipient

    recipient = Recipient.objects.using(client).create(
        email=args.email, first_name=args.first_name, last_name=args.last_name, flags=args.flag
    )
    if not args.quiet:
        _show_recipient(recipient, args.json)


def flags_add(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.functions import set_recipient_flags

    _show_answer(set_recipient_flags(args.email, args.flags, client=client), "message", args)


def flags_remove(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.functions import clear_recipient_flags

    answer = clear_recipient_flags(args.email, args.flags, client=client)
    _show_answer(answer, "message", args)


def subscribe(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Flow

    flow = Flow.objects.using(client).get(trigger=args.flow_trigger)
    sub = flow.subscribe(
        args.email, first_name=args.first_name, last_name=args.last_name, flags=args.flag
    )
    if args.quiet:
        print(sub.id)
    else:
        _show_subscription(sub, args.json)


def unsubscribe(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.functions import unsubscribe_from_flow

    answer = unsubscribe_from_flow(args.flow_trigger, args.email, client=client)
    _show_answer(answer, "detail", args)


def _subscriptions_query(
    client: NotifiedByClient, args: argparse.Namespace
) -> SubscriptionQuerySet:
    from notifiedby.resources import Subscription

    filters = {"email": args.email, "flow_trigger": args.flow, "status": args.status}
    given = {name: value for name, value in filters.items() if value is not None}
    return Subscription.objects.using(client).filter(**given)


def _subscription_row(s: Subscription) -> tuple[object, ...]:
    return (
        s.id,
        s.recipient_email,
        s.flow_trigger,
        s.status,
        s.current_step_order,
        s.next_send_date,
    )


def subscriptions_list(client: NotifiedByClient, args: argparse.Namespace) -> None:
    queryset = _subscriptions_query(client, args)
    # The API can't filter by status, so with --status its count covers other statuses too.
    _show_listing(
        queryset,
        args,
        _SUBSCRIPTION_COLUMNS,
        _subscription_row,
        countable=args.status is None,
    )


def subscriptions_delete(client: NotifiedByClient, args: argparse.Namespace) -> None:
    if args.all == (args.email is not None or args.flow is not None):
        msg = "subscriptions delete: give --email and/or --flow, or --all (not both)."
        raise NotifiedByInvalidArgument(msg)
    deleted = _subscriptions_query(client, args).delete()
    if deleted == 0:
        raise NotifiedByNotFoundError("No subscription matches.")
    if args.json:
        print_json({"deleted": deleted})
    elif not args.quiet:
        print(f"Deleted {deleted} subscription{'s' * (deleted != 1)}.")


def emails_list(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Email

    queryset = Email.objects.using(client).all()
    if args.recipient:
        queryset = queryset.filter(recipient=args.recipient)
    _show_listing(queryset, args, _EMAIL_COLUMNS, lambda e: (e.created_on, e.recipient, e.subject))


def emails_show(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Email

    manager = Email.objects.using(client)
    email: Email = (
        manager.get(id=args.id) if args.latest is None else manager.latest(recipient=args.latest)
    )
    if args.json:
        print_json(email.to_dict())
        return
    fields: list[tuple[str, object]] = [("Id", email.id)] if email.id else []
    fields += [("To", email.recipient), ("Subject", email.subject), ("Sent", email.created_on)]
    print_record(fields)
    print()
    if email.encrypted:
        print("(The body is stored encrypted: set NOTIFIEDBY_ENCRYPTION_KEY to read it.)")
    else:
        print(email.body or "")


def emails_status(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.functions import get_delivery_status

    status = get_delivery_status(args.id, client=client)
    if args.json:
        print_json(status)
    elif args.quiet:
        print(status.get("status"))
    else:
        print_record([("Id", status.get("id")), ("Status", status.get("status"))])


def emails_send(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Email

    body = args.body if args.body is not None else read_text(args.body_file, "body file")
    email = Email.objects.using(client).send(
        recipient=args.to,
        subject=args.subject,
        body=body,
        plain_body=args.plain_body,
        first_name=args.first_name,
        last_name=args.last_name,
        flags=args.flag,
    )
    if args.json:
        print_json({"id": email.id, "recipient": email.recipient, "subject": email.subject})
    elif args.quiet:
        print(email.id)
    else:
        print(f"Sent {email.id} to {email.recipient}.")
