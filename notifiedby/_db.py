"""What the app's optional tables (tracking, suppression) ask of Django's database on a send.

A send may run anywhere: in a project without the ``notifiedby`` app or before its
migrations, in a test that may not use the database, in a thread of the caller's own.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

from django.db import connections

__all__ = ["forbidden_by_tests", "has_table", "thread_connection"]

#: (database alias, table) pairs seen to exist; a table is not dropped while the process
#: runs, so a hit is not looked up again (a miss is: migrations may run meanwhile).
_tables_seen: set[tuple[str, str]] = set()


def has_table(using: str, table: str) -> bool:
    """Return whether ``table`` exists in database ``using``.

    Asking the schema, rather than catching the failed query, keeps a caller's PostgreSQL
    transaction usable when the table is missing.
    """
    if (using, table) in _tables_seen:
        return True
    if table not in connections[using].introspection.table_names():
        return False
    _tables_seen.add((using, table))
    return True


def forbidden_by_tests() -> tuple[type[BaseException], ...]:
    """Return the error of a test that may not use the database, when tests are running.

    Looked up only where Django's test module is already loaded, so a send in production
    doesn't import it; without it, the empty tuple catches nothing.
    """
    testcases = sys.modules.get("django.test.testcases")
    return () if testcases is None else (testcases.DatabaseOperationForbidden,)


@contextlib.contextmanager
def thread_connection(using: str) -> Iterator[None]:
    """Leave the database connection of a thread as it was: one opened here, in a thread
    other than the main one (a caller's pool sending mail), is closed on the way out.

    Django gives each thread its own connection and closes it only at the end of a request;
    a connection opened on a send in a bare thread would otherwise stay open until the
    thread is collected.
    """
    connection = connections[using]
    opened_here = connection.connection is None
    try:
        yield
    finally:
        if opened_here and threading.current_thread() is not threading.main_thread():
            connection.close()
