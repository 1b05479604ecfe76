"""The two commands that take no API key: ``sandbox`` serves a local NotifiedBy API until
Ctrl-C, and ``demo`` tours the SDK on an embedded one.

The sandbox and the demo are imported when their command runs, so ``--help`` and the API
commands load neither.
"""

from __future__ import annotations

import argparse
import os
import sys

from notifiedby._urls import is_loopback

__all__ = ["run_demo", "run_sandbox"]


def run_sandbox(args: argparse.Namespace) -> int:
    """Serve a sandbox until Ctrl-C; return 2 when it cannot start."""
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


def run_demo(args: argparse.Namespace) -> int:
    """Run the tour of :mod:`notifiedby.cli.demo` on an embedded sandbox."""
    from notifiedby.cli.demo import run_on_sandbox

    run_on_sandbox()
    return 0
