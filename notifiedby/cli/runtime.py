"""What every API command of the command line shares: the exit codes, the client built from
the settings or a key file, logging, and reading text files.

The API key comes from the settings (``NOTIFIEDBY_API_KEY``, or Django's settings when
``DJANGO_SETTINGS_MODULE`` is set) or from ``--api-key-file``, never from a command-line
argument, which any user of the machine could read in ``ps``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from notifiedby.exceptions import (
    NotifiedByAuthError,
    NotifiedByConfigError,
    NotifiedByConnectionError,
    NotifiedByError,
    NotifiedByInvalidArgument,
    NotifiedByNotFoundError,
    ObjectDoesNotExist,
)

if TYPE_CHECKING:
    from notifiedby.client import NotifiedByClient

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_AUTH",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "Handler",
    "exit_code",
    "read_text",
    "runner",
]

# The exit codes scripts can rely on (docs/cli.md lists them too).
EXIT_OK = 0
#: The API answered with an error (400, 429, 5xx), or refused to deliver to a blocked address.
EXIT_API_ERROR = 1
#: Bad arguments or settings: nothing was sent (argparse also exits 2).
EXIT_USAGE = 2
#: What was asked for does not exist.
EXIT_NOT_FOUND = 3
#: No answer: connection refused, DNS, TLS, or a timeout.
EXIT_UNREACHABLE = 4
#: The API refused the key (401 or 403).
EXIT_AUTH = 5
#: Ctrl-C, as shells report a SIGINT.
EXIT_INTERRUPTED = 130

#: A command: it prints its result, or raises a NotifiedByError.
Handler = Callable[["NotifiedByClient", argparse.Namespace], None]


def exit_code(error: NotifiedByError) -> int:
    """Return the exit code for an error that ended a command."""
    if isinstance(error, NotifiedByConfigError):
        return EXIT_USAGE
    if isinstance(error, NotifiedByInvalidArgument):
        return EXIT_USAGE  # refused before sending
    if isinstance(error, (NotifiedByNotFoundError, ObjectDoesNotExist)):
        return EXIT_NOT_FOUND
    if isinstance(error, NotifiedByAuthError):
        return EXIT_AUTH
    if isinstance(error, NotifiedByConnectionError):
        return EXIT_UNREACHABLE
    return EXIT_API_ERROR


def read_text(path: str, what: str) -> str:
    """Return the text of ``path`` (``-`` for standard input), or raise a usage error."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise NotifiedByConfigError(f"Cannot read the {what} {path}: {reason}.") from None


def _make_client(args: argparse.Namespace) -> NotifiedByClient:
    import attrs

    from notifiedby.client import NotifiedByClient
    from notifiedby.conf import API_KEY, get_setting, resolve_client_settings

    api_key = None
    if args.api_key_file is not None:
        api_key = read_text(args.api_key_file, "API key file").strip()
        if not api_key:
            raise NotifiedByConfigError(f"The API key file {args.api_key_file} is empty.")
    elif get_setting(API_KEY, default=None, convert=str) is None:
        # The resolver's own message speaks of api_key=..., which a shell user can't pass.
        raise NotifiedByConfigError(f"No API key: set {API_KEY} or pass --api-key-file PATH.")
    if api_key is None:
        return NotifiedByClient(base_url=args.base_url)
    settings = resolve_client_settings(api_key, args.base_url)
    # The resolver can only say "the api_key argument"; a 401's hint should name the file.
    source = f"the file {args.api_key_file} (--api-key-file)"
    return NotifiedByClient.from_settings(attrs.evolve(settings, api_key_source=source))


@contextlib.contextmanager
def _logging(verbose: bool) -> Iterator[None]:
    """Show the client's log lines on stderr with ``-v``, and none without it, then put the
    logger back as it was.

    Without a handler of ours, the retry warnings would reach stderr through logging's
    last-resort handler, and an error must end a command with one line. The client logs one
    line per attempt at DEBUG and each retry at WARNING, never a key or a body.
    """
    logger = logging.getLogger("notifiedby")
    handler: logging.Handler = logging.NullHandler()
    level = logger.level
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("notifiedby: %(message)s"))
        logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Show a warning as one line, like the errors, instead of Python's two with a path."""
    print(f"notifiedby: warning: {message}", file=sys.stderr)


def runner(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """Wrap a command: set up logging and warnings, build the client, run, close it."""

    def run(args: argparse.Namespace) -> int:
        if args.json and getattr(args, "quiet", False):  # only some commands have --quiet
            raise NotifiedByConfigError("--json and --quiet ask for two outputs; give one.")
        with warnings.catch_warnings(), _logging(args.verbose):
            warnings.showwarning = _show_warning  # catch_warnings puts the original back
            with _make_client(args) as client:
                handler(client, args)
        return EXIT_OK

    return run
