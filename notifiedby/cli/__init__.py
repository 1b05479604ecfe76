"""The ``notifiedby`` command line: the sandbox, the demo, and the API commands.

- :mod:`notifiedby.cli.parser`: the grammar (every command and option).
- :mod:`notifiedby.cli.commands`: the API commands; :mod:`notifiedby.cli.runtime`: what they
  share (the client, logging, the exit codes listed in docs/cli.md).
- :mod:`notifiedby.cli.sandbox`: the ``sandbox`` and ``demo`` commands;
  :mod:`notifiedby.cli.demo`: the tour ``demo`` runs.
- :mod:`notifiedby.cli.format`: tables, records, JSON and the progress line.

Errors end a command with one line on stderr and an exit code, never with a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from notifiedby.cli.format import one_line
from notifiedby.cli.parser import API_OPTION_DEFAULTS, build_parser
from notifiedby.cli.runtime import EXIT_INTERRUPTED, exit_code
from notifiedby.exceptions import NotifiedByError

__all__ = ["build_parser", "main"]


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
