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
from datetime import datetime

from notifiedby._db import forbidden_by_tests, has_table, thread_connection

__all__ = ["record_sent", "tracking_active"]

logger = logging.getLogger("notifiedby.tracking")

_TABLE = "notifiedby_trackedemail"


def tracking_active(using: str = "default") -> bool:
    """Return whether sends to database ``using`` are recorded now."""
    return _tracking_on() and has_table(using, _TABLE)


def _tracking_on() -> bool:
    """Return whether the settings ask for tracking (no database is touched)."""
    from django.apps import apps
    from django.conf import settings

    if not settings.configured or not apps.ready or not apps.is_installed("notifiedby"):
        return False
    from notifiedby.tracking.settings import enabled

    return enabled()


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
    from django.db import DatabaseError

    try:
        if not _tracking_on():
            return
        with thread_connection(using):
            if has_table(using, _TABLE):
                _insert(str(email_id), recipient, subject, outbox_message_id, sent_at, using)
    except SynchronousOnlyOperation:
        logger.debug("Email %s sent from async code: not recorded for tracking", email_id)
    except forbidden_by_tests():
        logger.debug("Email %s sent where a test forbids the database: not recorded", email_id)
    except DatabaseError as exc:
        logger.warning("Email %s was sent but not recorded for tracking: %s", email_id, exc)


def _insert(
    email_id: str,
    recipient: str,
    subject: str | None,
    outbox_message_id: int | None,
    sent_at: datetime | None,
    using: str,
) -> None:
    from django.db import transaction
    from django.utils import timezone

    from notifiedby.tracking.models import TrackedEmail
    from notifiedby.tracking.schedule import first_check
    from notifiedby.tracking.settings import store_subject

    when = sent_at or timezone.now()
    # A savepoint, so a failed insert leaves the caller's transaction usable.
    with transaction.atomic(using=using):
        TrackedEmail.objects.using(using).get_or_create(
            email_id=email_id,
            defaults={
                "recipient": recipient,
                "subject": (subject or "")[:998] if store_subject() else "",
                "outbox_message_id": outbox_message_id,
                "sent_at": when,
                "next_check_at": first_check(when),
            },
        )
