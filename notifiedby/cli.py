"""The ``notifiedby`` command line: the sandbox, the demo, and the API commands.

Errors end a command with one line on stderr and an exit code from
``notifiedby._cli_runtime`` (listed in docs/cli.md), never with a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from notifiedby._cli_commands import API_OPTION_DEFAULTS, add_api_commands, add_api_options
from notifiedby._cli_format import one_line
from notifiedby._cli_runtime import EXIT_INTERRUPTED, exit_code
from notifiedby._urls import is_loopback
from notifiedby._version import __version__
from notifiedby.exceptions import NotifiedByError

__all__ = ["main"]


def _sandbox(args: argparse.Namespace) -> int:
    from notifiedby.sandbox import Sandbox

    keys = args.api_key or [key for key in [os.environ.get("NOTIFIEDBY_SANDBOX_API_KEY")] if key]
    # Read from the environment by name, never from the command line, where `ps` shows it.
    encryption_keys = [os.environ.get(name, "") for name in args.encryption_key_env or []]
    if not all(encryption_keys):
        empty = [
            name
            for name, key in zip(args.encryption_key_env, encryption_keys, strict=True)
            if not key
        ]
        print(
            f"notifiedby sandbox: --encryption-key-env {empty[0]}: that environment variable "
            "is not set or empty; export the key in it first.",
            file=sys.stderr,
        )
        return 2
    try:
        sandbox = Sandbox(
            keys or None,
            host=args.host,
            port=args.port,
            data=args.data,
            empty=args.empty,
            real_time=args.real_time,
            encryption_keys=encryption_keys,
            allowed_hosts=args.allowed_host,
        )
    except ValueError as error:
        print(f"notifiedby sandbox: {error}", file=sys.stderr)
        return 2
    loaded = []
    if args.flows:
        try:
            loaded = sandbox.load_flows(args.flows)
        except (OSError, ValueError) as error:
            print(f"notifiedby sandbox: cannot load flows: {error}", file=sys.stderr)
            sandbox.stop()
            return 2
    if not is_loopback(args.host):
        print(
            f"notifiedby sandbox: warning: {args.host} is not a loopback address; anyone who can"
            " reach it can read the inbox and drive /_sandbox/, which take no API key.",
            file=sys.stderr,
            flush=True,
        )
    try:
        sandbox.start()
    except OSError as error:
        print(
            f"notifiedby sandbox: cannot listen on {args.host}:{args.port}: {error.strerror}",
            file=sys.stderr,
        )
        return 2
    # From here on Ctrl-C means stop, even while the banner is still printing.
    try:
        # Sandbox keys are throwaway test keys; printing one is how a user learns it.
        print(f"NotifiedBy sandbox listening on {sandbox.url}", flush=True)
        print(f"API key: {sandbox.api_key}", flush=True)
        if args.data:
            print(f"Keeping state in {args.data}", flush=True)
        if encryption_keys:
            names = ", ".join(args.encryption_key_env)
            print(f"Sealed emails open in the inbox with the key in {names}", flush=True)
        if loaded:
            print(f"Flows from {args.flows}: {', '.join(flow['trigger'] for flow in loaded)}")
        print(f"Inbox: {sandbox.url}/", flush=True)
        if args.allowed_host:
            print(f"Also answering to Host: {', '.join(args.allowed_host)}", flush=True)
        if not args.real_time:
            print("Flows run when the clock moves: POST /_sandbox/clock/ (or use --real-time).")
        print("Press Ctrl-C to stop.", flush=True)
        sandbox.wait()
    except KeyboardInterrupt:
        print("Stopping.", flush=True)
    finally:
        sandbox.stop()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from notifiedby.demo import run_on_sandbox

    run_on_sandbox()
    return 0


def build_parser() -> argparse.ArgumentParser:
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
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sandbox = commands.add_parser("sandbox", help="run a local NotifiedBy API server")
    sandbox.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1); any other than loopback exposes the inbox"
        " and controls, which take no key",
    )
    sandbox.add_argument(
        "--allowed-host",
        action="append",
        metavar="HOST",
        help="also answer to this Host name, or HOST:PORT (repeatable); names other than"
        " localhost, 127.0.0.1, [::1] and the bound address get 400",
    )
    sandbox.add_argument("--port", type=int, default=8025, help="port; 0 picks a free one")
    sandbox.add_argument(
        "--api-key", action="append", metavar="KEY", help="an accepted API key (repeatable)"
    )
    sandbox.add_argument("--data", metavar="FILE", help="keep state in this SQLite file")
    sandbox.add_argument("--empty", action="store_true", help="start without the example flows")
    sandbox.add_argument("--flows", metavar="FILE", help="define the flows of a JSON or TOML file")
    sandbox.add_argument(
        "--real-time", action="store_true", help="run due flow steps every second by the wall clock"
    )
    sandbox.add_argument(
        "--encryption-key-env",
        action="append",
        metavar="VAR",
        help="open sealed emails in the inbox with the key in this environment variable "
        "(repeatable; they stay stored encrypted)",
    )
    sandbox.set_defaults(run=_sandbox)
    demo = commands.add_parser("demo", help="tour the SDK on an embedded sandbox")
    demo.set_defaults(run=_demo)
    add_api_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("sandbox", "demo"):
        # The top parser takes the API options before any command's name; these two ignore them.
        given = [
            name for name, default in API_OPTION_DEFAULTS.items() if vars(args)[name] != default
        ]
        if given:
            option = "--" + given[0].replace("_", "-")
            parser.error(f"{option} is an option of the API commands, not of {args.command}")
    try:
        code: int = args.run(args)
    except NotifiedByError as error:
        print(f"notifiedby: error: {one_line(str(error))}", file=sys.stderr)
        return exit_code(error)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as Unix tools do, and point stdout
        # at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_INTERRUPTED
    return code
