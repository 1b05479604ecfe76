"""The command line's grammar: the top parser, the options of the API commands, and each
command's arguments. What each command does is in :mod:`notifiedby.cli.commands` (the API
commands) and :mod:`notifiedby.cli.sandbox` (``sandbox`` and ``demo``).
"""

from __future__ import annotations

import argparse
from typing import Any

from notifiedby._version import __version__
from notifiedby.cli import commands as api
from notifiedby.cli import sandbox
from notifiedby.cli.runtime import Handler, runner

__all__ = ["API_OPTION_DEFAULTS", "add_api_commands", "add_api_options", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the whole command line."""
    parser = argparse.ArgumentParser(
        prog="notifiedby",
        description="NotifiedBy tools. The API key comes from NOTIFIEDBY_API_KEY or "
        "--api-key-file; COMMAND --help shows a command's options.",
        epilog="exit codes: 0 ok, 1 API error, 2 usage or settings, 3 not found, "
        "4 no answer from the server, 5 key refused",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_api_options(parser, top=True)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_sandbox_command(subparsers)
    demo = subparsers.add_parser("demo", help="tour the SDK on an embedded sandbox")
    demo.set_defaults(run=sandbox.run_demo)
    add_api_commands(subparsers)
    return parser


def _add_sandbox_command(subparsers: Any) -> None:
    """Add ``sandbox``, whose options are its server's, not the API commands'."""
    parser = subparsers.add_parser("sandbox", help="run a local NotifiedBy API server")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1); any other than loopback exposes the inbox"
        " and controls, which take no key",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        metavar="HOST",
        help="also answer to this Host name, or HOST:PORT (repeatable); names other than"
        " localhost, 127.0.0.1, [::1] and the bound address get 400",
    )
    parser.add_argument("--port", type=int, default=8025, help="port; 0 picks a free one")
    parser.add_argument(
        "--api-key", action="append", metavar="KEY", help="an accepted API key (repeatable)"
    )
    parser.add_argument("--data", metavar="FILE", help="keep state in this SQLite file")
    parser.add_argument("--empty", action="store_true", help="start without the example flows")
    parser.add_argument("--flows", metavar="FILE", help="define the flows of a JSON or TOML file")
    parser.add_argument(
        "--real-time", action="store_true", help="run due flow steps every second by the wall clock"
    )
    parser.add_argument(
        "--encryption-key-env",
        action="append",
        metavar="VAR",
        help="open sealed emails in the inbox with the key in this environment variable "
        "(repeatable; they stay stored encrypted)",
    )
    parser.set_defaults(run=sandbox.run_sandbox)


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


def _nonnegative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more, got {text!r}")
    return value


def _limit_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=_nonnegative, metavar="N", help="show at most N")


def add_api_commands(subparsers: Any) -> None:
    """Add the API commands to ``subparsers``, the top parser's."""

    def command(group: Any, name: str, handler: Handler, text: str) -> argparse.ArgumentParser:
        # No abbreviations: "--api-key KEY" must never be read as "--api-key-file KEY".
        parser: argparse.ArgumentParser = group.add_parser(name, help=text, allow_abbrev=False)
        add_api_options(parser)
        parser.set_defaults(run=runner(handler))
        return parser

    def group(name: str, text: str) -> Any:
        parser = subparsers.add_parser(name, help=text, allow_abbrev=False)
        add_api_options(parser)
        return parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    check = command(subparsers, "check", api.check, "check the API key and that the API answers")
    _quiet_option(check, _SILENT)

    recipients = group("recipients", "list, show and create recipients")
    listing = command(recipients, "list", api.recipients_list, "list recipients")
    listing.add_argument("--email", help="only this address")
    _limit_option(listing)
    command(recipients, "get", api.recipients_get, "show one recipient").add_argument("email")
    create = command(recipients, "create", api.recipients_create, "create or update a recipient")
    create.add_argument("email")
    _person_options(create)
    _quiet_option(create, _SILENT)

    flags = group("flags", "set and clear a recipient's flags")
    for name, handler, text in (
        ("add", api.flags_add, "set flags on a recipient"),
        ("remove", api.flags_remove, "clear flags from a recipient"),
    ):
        parser = command(flags, name, handler, text)
        parser.add_argument("email")
        parser.add_argument("flags", nargs="+", metavar="FLAG")
        _quiet_option(parser, _SILENT)

    subscribe = command(subparsers, "subscribe", api.subscribe, "subscribe a recipient to a flow")
    unsubscribe = command(subparsers, "unsubscribe", api.unsubscribe, "cancel a flow subscription")
    for parser in (subscribe, unsubscribe):
        parser.add_argument("flow_trigger", metavar="FLOW_TRIGGER")
        parser.add_argument("email")
    _person_options(subscribe)
    _quiet_option(subscribe, "print only the new subscription's id")
    _quiet_option(unsubscribe, _SILENT)

    subscriptions = group("subscriptions", "list and delete flow subscriptions")
    listing = command(subscriptions, "list", api.subscriptions_list, "list subscriptions")
    delete = command(subscriptions, "delete", api.subscriptions_delete, "delete subscriptions")
    for parser in (listing, delete):
        parser.add_argument("--email", help="only this recipient's")
        parser.add_argument("--flow", metavar="FLOW_TRIGGER", help="only this flow's")
    listing.add_argument("--status", choices=("active", "completed", "cancelled"))
    _limit_option(listing)
    delete.add_argument("--all", action="store_true", help="delete every subscription")
    delete.set_defaults(status=None)  # delete by pair: the API has no status filter
    _quiet_option(delete, _SILENT)

    emails = group("emails", "list, show and send emails, and read their delivery status")
    listing = command(emails, "list", api.emails_list, "list sent emails, newest first")
    listing.add_argument("--recipient", metavar="EMAIL", help="only those sent to this address")
    _limit_option(listing)
    show = command(emails, "show", api.emails_show, "show one email with its body")
    which = show.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="the email's id")
    which.add_argument("--latest", metavar="EMAIL", help="the latest email to this address")
    status = command(emails, "status", api.emails_status, "show an email's delivery status")
    status.add_argument("id")
    _quiet_option(status, "print only the status (pending, delivered, bounced...)")
    send = command(emails, "send", api.emails_send, "send one email")
    send.add_argument("--to", required=True, metavar="EMAIL")
    send.add_argument("--subject", required=True)
    body = send.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", metavar="HTML")
    body.add_argument("--body-file", metavar="PATH", help="read the HTML body ('-': stdin)")
    send.add_argument("--plain-body", metavar="TEXT", help="the plain-text alternative")
    _person_options(send)
    _quiet_option(send, "print only the new email's id")
