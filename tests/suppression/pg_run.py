"""The scenario tests/suppression/test_postgres.py runs in a subprocess on PostgreSQL.

``python -m tests.suppression.pg_run``, with ``DJANGO_SETTINGS_MODULE`` set to
``tests.outbox.pg_settings`` and the database migrated up to ``notifiedby 0002_tracking``
(no suppression table yet), writes one JSON object on stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Any

BACKEND = "notifiedby.NotifiedByEmailBackend"


def before_and_after_the_migration() -> dict[str, Any]:
    """Send in a transaction without the table, then migrate, suppress, and send again."""
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection, transaction

    from notifiedby.models import OutboxMessage, Suppression

    with transaction.atomic():
        early = mail.EmailMessage("Hi", "x", to=["gone@example.com"])
        sent_early = mail.get_connection(BACKEND).send_messages([early])
        # The transaction is still usable: no failed query aborted it.
        usable = "notifiedby_outboxmessage" in connection.introspection.table_names()
    call_command("migrate", "notifiedby", verbosity=0, skip_checks=True)
    Suppression.objects.suppress("Gone@Example.com", reason="bounced")
    with transaction.atomic():
        direct = mail.EmailMessage("Hi", "x", to=["gone@example.com", "ann@example.com"])
        sent_direct = mail.get_connection(BACKEND).send_messages([direct])
    with transaction.atomic():
        queued = mail.EmailMessage("Hi", "x", to=["GONE@example.com", "bob@example.com"])
        queued.send()  # the settings' outbox backend
    return {
        "sent_early": sent_early,
        "usable": usable,
        "sent_direct": sent_direct,
        "direct": {a: s.status for a, s in direct.notifiedby_status.recipients.items()},
        "queued": {a: s.status for a, s in queued.notifiedby_status.recipients.items()},
        "rows": list(OutboxMessage.objects.values_list("recipient", flat=True)),
    }


if __name__ == "__main__":
    import django

    django.setup()
    sys.stdout.write(json.dumps(before_and_after_the_migration()) + "\n")
