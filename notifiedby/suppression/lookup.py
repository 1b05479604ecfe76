"""What the email backends ask before a send: which addresses are suppressed.

Safe to call in any project: without the ``notifiedby`` app, before its migrations have
made the table, or in a test that may not use the database (Django's ``SimpleTestCase``),
it answers "none".
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Final

from django.apps import apps
from django.db import connections

__all__ = ["SUPPRESSED_REASON", "suppressed"]

#: The reason a refused address carries in ``message.notifiedby_status``.
SUPPRESSED_REASON: Final = "suppressed: the address is on the suppression list"

#: Aliases of the databases where the table was seen; once there it stays, so each send
#: costs one query, not a look at the schema too.
_tables_seen: set[str] = set()


def suppressed(addresses: Sequence[str], *, using: str = "default") -> frozenset[str]:
    """Return those of ``addresses`` (as given) on the suppression list, with one query."""
    if not addresses or not apps.ready or not apps.is_installed("notifiedby"):
        return frozenset()
    from notifiedby.suppression.models import Suppression

    try:
        if using not in _tables_seen:
            # Asking the schema, rather than catching the failed query, keeps a caller's
            # PostgreSQL transaction usable when the table is missing.
            connection = connections[using]
            if Suppression._meta.db_table not in connection.introspection.table_names():
                return frozenset()
            _tables_seen.add(using)
        found: frozenset[str] = Suppression.objects.using(using).suppressed(addresses)
    except _forbidden_by_tests():
        return frozenset()
    return found


def _forbidden_by_tests() -> tuple[type[BaseException], ...]:
    """Return the error of a test that may not use the database, when tests are running.

    Looked up only where Django's test module is already loaded, so a send in production
    doesn't import it; without it, the empty tuple catches nothing.
    """
    testcases = sys.modules.get("django.test.testcases")
    return () if testcases is None else (testcases.DatabaseOperationForbidden,)
