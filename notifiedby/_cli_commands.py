"""The command line's API commands: recipients, flags, subscriptions, emails and ``check``.

Each command is a short function over the resources and the flat functions; none builds a
URL. Shared plumbing (exit codes, the client, logging) is in ``notifiedby._cli_runtime``.
Each command imports the SDK when it runs, so that ``--version``, ``--help`` and the
``sandbox`` command start without loading the HTTP client.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any, TypeVar

from notifiedby._cli_format import Progress, print_json, print_record, print_table
from notifiedby._cli_runtime import Handler, read_text, runner
from notifiedby.exceptions import NotifiedByNotFoundError, NotifiedByValidationError

if TYPE_CHECKING:
    from collections.abc import Callable

    from notifiedby.client import NotifiedByClient
    from notifiedby.query import QuerySet
    from notifiedby.resources import Email, Recipient, Subscription, SubscriptionQuerySet
    from notifiedby.resources.base import Resource

__all__ = ["API_OPTION_DEFAULTS", "add_api_commands", "add_api_options"]

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


def _nonnegative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more, got {text!r}")
    return value


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


def _check(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Recipient

    started = time.monotonic()
    Recipient.objects.using(client).exists()  # one small authenticated request
    elapsed_ms = round((time.monotonic() - started) * 1000)
    if args.json:
        print_json({"ok": True, "base_url": client.base_url, "elapsed_ms": elapsed_ms})
    elif not args.quiet:
        print(f"OK: {client.base_url} accepted the API key ({elapsed_ms} ms).")


def _recipients_list(client: NotifiedByClient, args: argparse.Namespace) -> None:
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


def _recipients_get(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Recipient

    _show_recipient(Recipient.objects.using(client).get(email=args.email), args.json)


def _recipients_create(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Recipient

    recipient = Recipient.objects.using(client).create(
        email=args.email, first_name=args.first_name, last_name=args.last_name, flags=args.flag
    )
    if not args.quiet:
        _show_recipient(recipient, args.json)


def _flags_add(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.functions import set_recipient_flags

    _show_answer(set_recipient_flags(args.email, args.flags, client=client), "message", args)


def _flags_remove(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.functions import clear_recipient_flags

    answer = clear_recipient_flags(args.email, args.flags, client=client)
    _show_answer(answer, "message", args)


def _subscribe(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Flow

    flow = Flow.objects.using(client).get(trigger=args.flow_trigger)
    sub = flow.subscribe(
        args.email, first_name=args.first_name, last_name=args.last_name, flags=args.flag
    )
    if args.quiet:
        print(sub.id)
    else:
        _show_subscription(sub, args.json)


def _unsubscribe(client: NotifiedByClient, args: argparse.Namespace) -> None:
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


def _subscriptions_list(client: NotifiedByClient, args: argparse.Namespace) -> None:
    queryset = _subscriptions_query(client, args)
    # The API can't filter by status, so with --status its count covers other statuses too.
    _show_listing(
        queryset,
        args,
        _SUBSCRIPTION_COLUMNS,
        _subscription_row,
        countable=args.status is None,
    )


def _subscriptions_delete(client: NotifiedByClient, args: argparse.Namespace) -> None:
    if args.all == (args.email is not None or args.flow is not None):
        msg = "subscriptions delete: give --email and/or --flow, or --all (not both)."
        raise NotifiedByValidationError(msg, status_code=None)
    deleted = _subscriptions_query(client, args).delete()
    if deleted == 0:
        raise NotifiedByNotFoundError("No subscription matches.")
    if args.json:
        print_json({"deleted": deleted})
    elif not args.quiet:
        print(f"Deleted {deleted} subscription{'s' * (deleted != 1)}.")


def _emails_list(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.resources import Email

    queryset = Email.objects.using(client).all()
    if args.recipient:
        queryset = queryset.filter(recipient=args.recipient)
    _show_listing(queryset, args, _EMAIL_COLUMNS, lambda e: (e.created_on, e.recipient, e.subject))


def _emails_show(client: NotifiedByClient, args: argparse.Namespace) -> None:
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


def _emails_status(client: NotifiedByClient, args: argparse.Namespace) -> None:
    from notifiedby.functions import get_delivery_status

    status = get_delivery_status(args.id, client=client)
    if args.json:
        print_json(status)
    elif args.quiet:
        print(status.get("status"))
    else:
        print_record([("Id", status.get("id")), ("Status", status.get("status"))])


def _emails_send(client: NotifiedByClient, args: argparse.Namespace) -> None:
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


# --- The parser. ------------------------------------------------------------------------------


class _RefuseKey(argparse.Action):
    """Refuse ``--api-key``, without repeating its value: any user of the machine can read a
    command line in ``ps``, so the key comes from the environment or a file."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        parser.error("--api-key is not accepted; set NOTIFIEDBY_API_KEY or use --api-key-file")


#: The options of every API command, by destination, with their defaults.
API_OPTION_DEFAULTS: dict[str, Any] = {
    "json": False,
    "api_key_file": None,
    "base_url": None,
    "verbose": False,
}


def add_api_options(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """Add the options of every API command, which go before or after the command's name.

    Only the top parser (``top``) holds their defaults: the copies in the commands' parsers
    default to SUPPRESS, so that a command's parser doesn't reset a value given before it.
    """
    defaults = API_OPTION_DEFAULTS if top else dict.fromkeys(API_OPTION_DEFAULTS, argparse.SUPPRESS)
    where = parser.add_argument_group("options of the API commands") if top else parser
    where.add_argument(
        "--api-key", nargs="?", action=_RefuseKey, default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    where.add_argument(
        "--json", action="store_true", default=defaults["json"], help="print JSON for scripts"
    )
    where.add_argument(
        "--api-key-file",
        metavar="PATH",
        default=defaults["api_key_file"],
        help="read the API key from this file ('-': standard input) instead of NOTIFIEDBY_API_KEY",
    )
    where.add_argument(
        "--base-url",
        metavar="URL",
        default=defaults["base_url"],
        help="the API server (default: NOTIFIEDBY_BASE_URL)",
    )
    where.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=defaults["verbose"],
        help="log each request to standard error",
    )


def _person_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--first-name", metavar="NAME")
    parser.add_argument("--last-name", metavar="NAME")
    parser.add_argument("--flag", action="append", metavar="FLAG", help="a flag (repeatable)")


#: The ``--quiet`` help of the commands that print nothing with it.
_SILENT = "print nothing; the exit code tells"


def _quiet_option(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help=text)


def _limit_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=_nonnegative, metavar="N", help="show at most N")


def add_api_commands(commands: Any) -> None:
    """Add the API commands to ``commands``, the top parser's subparsers."""

    def command(group: Any, name: str, handler: Handler, text: str) -> argparse.ArgumentParser:
        # No abbreviations: "--api-key KEY" must never be read as "--api-key-file KEY".
        parser: argparse.ArgumentParser = group.add_parser(name, help=text, allow_abbrev=False)
        add_api_options(parser)
        parser.set_defaults(run=runner(handler))
        return parser

    def group(name: str, text: str) -> Any:
        parser = commands.add_parser(name, help=text, allow_abbrev=False)
        add_api_options(parser)
        return parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    check = command(commands, "check", _check, "check the API key and that the API answers")
    _quiet_option(check, _SILENT)

    recipients = group("recipients", "list, show and create recipients")
    listing = command(recipients, "list", _recipients_list, "list recipients")
    listing.add_argument("--email", help="only this address")
    _limit_option(listing)
    command(recipients, "get", _recipients_get, "show one recipient").add_argument("email")
    create = command(recipients, "create", _recipients_create, "create or update a recipient")
    create.add_argument("email")
    _person_options(create)
    _quiet_option(create, _SILENT)

    flags = group("flags", "set and clear a recipient's flags")
    for name, handler, text in (
        ("add", _flags_add, "set flags on a recipient"),
        ("remove", _flags_remove, "clear flags from a recipient"),
    ):
        parser = command(flags, name, handler, text)
        parser.add_argument("email")
        parser.add_argument("flags", nargs="+", metavar="FLAG")
        _quiet_option(parser, _SILENT)

    subscribe = command(commands, "subscribe", _subscribe, "subscribe a recipient to a flow")
    unsubscribe = command(commands, "unsubscribe", _unsubscribe, "cancel a flow subscription")
    for parser in (subscribe, unsubscribe):
        parser.add_argument("flow_trigger", metavar="FLOW_TRIGGER")
        parser.add_argument("email")
    _person_options(subscribe)
    _quiet_option(subscribe, "print only the new subscription's id")
    _quiet_option(unsubscribe, _SILENT)

    subscriptions = group("subscriptions", "list and delete flow subscriptions")
    listing = command(subscriptions, "list", _subscriptions_list, "list subscriptions")
    delete = command(subscriptions, "delete", _subscriptions_delete, "delete subscriptions")
    for parser in (listing, delete):
        parser.add_argument("--email", help="only this recipient's")
        parser.add_argument("--flow", metavar="FLOW_TRIGGER", help="only this flow's")
    listing.add_argument("--status", choices=("active", "completed", "cancelled"))
    _limit_option(listing)
    delete.add_argument("--all", action="store_true", help="delete every subscription")
    delete.set_defaults(status=None)  # delete by pair: the API has no status filter
    _quiet_option(delete, _SILENT)

    emails = group("emails", "list, show and send emails, and read their delivery status")
    listing = command(emails, "list", _emails_list, "list sent emails, newest first")
    listing.add_argument("--recipient", metavar="EMAIL", help="only those sent to this address")
    _limit_option(listing)
    show = command(emails, "show", _emails_show, "show one email with its body")
    which = show.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="the email's id")
    which.add_argument("--latest", metavar="EMAIL", help="the latest email to this address")
    status = command(emails, "status", _emails_status, "show an email's delivery status")
    status.add_argument("id")
    _quiet_option(status, "print only the status (pending, delivered, bounced...)")
    send = command(emails, "send", _emails_send, "send one email")
    send.add_argument("--to", required=True, metavar="EMAIL")
    send.add_argument("--subject", required=True)
    body = send.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", metavar="HTML")
    body.add_argument("--body-file", metavar="PATH", help="read the HTML body ('-': stdin)")
    send.add_argument("--plain-body", metavar="TEXT", help="the plain-text alternative")
    _person_options(send)
    _quiet_option(send, "print only the new email's id")
