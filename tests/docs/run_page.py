"""Run the code blocks of one documentation page, in order, in one namespace.

Run as a child process by ``test_code_blocks.py`` (Django can be configured once per
process): ``python run_page.py`` with a JSON list of ``[filename, first_line, code]`` on
stdin. Tracebacks name the page and its line numbers.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import os
import sys
import warnings
from typing import Any

import django
from django.conf import settings


def configure_django() -> None:
    settings.configure(
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "notifiedby"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        # Django 6.1 deprecates EMAIL_BACKEND for MAILERS.
        **(
            {"MAILERS": {"default": {"BACKEND": "notifiedby.NotifiedByEmailBackend"}}}
            if django.VERSION >= (6, 1)
            else {"EMAIL_BACKEND": "notifiedby.NotifiedByEmailBackend"}
        ),
        DEFAULT_FROM_EMAIL="noreply@example.com",
        USE_TZ=True,
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


def run_blocks(blocks: list[tuple[str, int, str]]) -> None:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    url = os.environ["NOTIFIEDBY_BASE_URL"]
    addresses = json.loads(os.environ["DOCS_SANDBOX_ADDRESSES"])
    for filename, first_line, code in blocks:
        for address in addresses:
            code = code.replace(address, url)
        # Pad so that line numbers in a traceback are the page's own.
        source = "\n" * (first_line - 1) + code
        compiled = compile(source, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        if compiled.co_flags & inspect.CO_COROUTINE:  # the block uses a top-level await
            asyncio.run(eval(compiled, namespace))  # noqa: S307 - the documentation's own code
        else:
            exec(compiled, namespace)  # noqa: S102 - the documentation's own code


def allow_older_django_idioms() -> None:
    """Let pages show the idioms of Django before 6.1 (get_connection) beside MAILERS."""
    from django.utils import deprecation

    removed_in_6_1 = getattr(deprecation, "RemovedInDjango2028Warning", None)
    if removed_in_6_1 is not None:
        warnings.filterwarnings("ignore", category=removed_in_6_1)


if __name__ == "__main__":
    allow_older_django_idioms()
    configure_django()
    run_blocks(json.load(sys.stdin))
