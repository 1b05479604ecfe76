"""Record an email the API accepted, so the poller can follow it.

Called after each successful send by the email backend, the outbox, the Celery send task
and ``Email.objects.send``. It records only where Django is configured with the
``notifiedby`` app installed, tracking on (``NOTIFIEDBY_TRACKING``) and the app's tables
migrated; anywhere else it does nothing, so the SDK used without Django never touches a
database. Recording never fails a send: the email
is already on its way, so a database error is logged, not raised.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime

__all__ = ["record_sent", "tracking_active"]

logger = logging.getLogger("notifiedby.tracking")

_TABLE = "notifiedby_trackedemail"
#: Database aliases where the table was seen; a table is not dropped while the process runs,
#: so a hit is not looked up again (a miss is: migrations may run meanwhile).
_tables_seen: set[str] = set()


def tracking_active(using: str = "default") -> bool:
    """Return whether sends to database ``using`` are recorded now."""
    from django.apps import apps
    from django.conf import settings

    if not settings.configured or not apps.ready or not apps.is_installed("notifiedby"):
        return False
    from notifiedby.tracking.settings import enabled

    if not enabled():
        return False
    if using in _tables_seen:
        return True
    from django.db import connections

    with connections[using].cursor() as cursor:
        names = connections[using].introspection.table_names(cursor)
    if _TABLE in names:
        _tables_seen.add(using)
        return True
    return False


def _forbidden_by_tests() -> tuple[type[Exception], ...]:
    """Return the error Django's test cases raise on database access they forbid (in a
    ``SimpleTestCase``), when Django's test tools are loaded; sending must work there."""
    testcases = sys.modules.get("django.test.testcases")
    return (testcases.DatabaseOperationForbidden,) if testcases is not None else ()


def record_sent(
    email_id: object,
    recipient: str,
    *,
    subject: str | None = None,
    outbox_message_id: int | None = None,
    sent_at: datetime | None = None,
    using: str = "default",
) -> None:
    """Store a pending row for ``email_id`` (once: a repeated id is left as it is)."""
    if not email_id:
        return
    from django.core.exceptions import SynchronousOnlyOperation
    from django.db import DatabaseError, transaction
    from django.utils import timezone

    try:
        if not tracking_active(using):
            return
        from notifiedby.tracking.models import TrackedEmail
        from notifiedby.tracking.schedule import first_check
        from notifiedby.tracking.settings import store_subject

        when = sent_at or timezone.now()
        # A savepoint, so a failed insert leaves the caller's transaction usable.
        with transaction.atomic(using=using):
            TrackedEmail.objects.using(using).get_or_create(
                email_id=str(email_id),
                defaults={
                    "recipient": recipient,
                    "subject": (subject or "")[:998] if store_subject() else "",
                    "outbox_message_id": outbox_message_id,
                    "sent_at": when,
                    "next_check_at": first_check(when),
                },
            )
    except SynchronousOnlyOperation:
        logger.debug("Email %s sent from async code: not recorded for tracking", email_id)
    except _forbidden_by_tests():
        logger.debug("Email %s sent where a test forbids the database: not recorded", email_id)
    except DatabaseError as exc:
        logger.warning("Email %s was sent but not recorded for tracking: %s", email_id, exc)
