"""What the email backends ask before a send: which addresses are suppressed.

Safe to call in any project: without the ``notifiedby`` app, before its migrations have
made the table, or in a test that may not use the database (Django's ``SimpleTestCase``),
it answers "none".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from django.apps import apps

from notifiedby._db import forbidden_by_tests, has_table, thread_connection

__all__ = ["SUPPRESSED_REASON", "suppressed"]

#: The reason a refused address carries in ``message.notifiedby_status``.
SUPPRESSED_REASON: Final = "suppressed: the address is on the suppression list"


def suppressed(addresses: Sequence[str], *, using: str = "default") -> frozenset[str]:
    """Return those of ``addresses`` (as given) on the suppression list, with one query."""
    if not addresses or not apps.ready or not apps.is_installed("notifiedby"):
        return frozenset()
    from notifiedby.suppression.models import Suppression

    try:
        with thread_connection(using):
            if not has_table(using, Suppression._meta.db_table):
                return frozenset()
            found: frozenset[str] = Suppression.objects.using(using).suppressed(addresses)
    except forbidden_by_tests():
        return frozenset()
    return found
