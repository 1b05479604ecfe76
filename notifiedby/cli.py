"""The ``notifiedby`` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from notifiedby._version import __version__

__all__ = ["main"]


def _sandbox(args: argparse.Namespace) -> int:
    from notifiedby.sandbox import Sandbox

    keys = args.api_key or [key for key in [os.environ.get("NOTIFIEDBY_SANDBOX_API_KEY")] if key]
    sandbox = Sandbox(
        keys or None, host=args.host, port=args.port, data=args.data, empty=args.empty
    )
    try:
        sandbox.start()
    except OSError as error:
        print(
            f"notifiedby sandbox: cannot listen on {args.host}:{args.port}: {error.strerror}",
            file=sys.stderr,
        )
        return 2
    # Sandbox keys are throwaway test keys; printing one is how a user learns it.
    print(f"NotifiedBy sandbox listening on {sandbox.url}", flush=True)
    print(f"API key: {sandbox.api_key}", flush=True)
    if args.data:
        print(f"Keeping state in {args.data}", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    try:
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
    parser = argparse.ArgumentParser(prog="notifiedby", description="NotifiedBy tools.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sandbox = commands.add_parser("sandbox", help="run a local NotifiedBy API server")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8025, help="port; 0 picks a free one")
    sandbox.add_argument(
        "--api-key", action="append", metavar="KEY", help="an accepted API key (repeatable)"
    )
    sandbox.add_argument("--data", metavar="FILE", help="keep state in this SQLite file")
    sandbox.add_argument("--empty", action="store_true", help="start without the example flows")
    sandbox.set_defaults(run=_sandbox)
    demo = commands.add_parser("demo", help="tour the SDK on an embedded sandbox")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code
