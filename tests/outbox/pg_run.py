"""Scenarios that tests/outbox/test_postgres.py runs in a subprocess on PostgreSQL.

``python -m tests.outbox.pg_run SCENARIO [ARG]``, with ``DJANGO_SETTINGS_MODULE`` set to
``tests.outbox.pg_settings``, writes one JSON object on stdout; the test checks it against
the sandbox it runs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

SECRET_BODY = "Your code is 5521-SECRET"


def _send(address: str) -> dict[str, str]:
    """Send one message through the configured (outbox) backend; return its keys."""
    from django.core import mail

    message = mail.EmailMessage("Your code", SECRET_BODY, to=[address])
    message.send()
    return dict(message.notifiedby_idempotency_keys)


def transaction_path() -> dict[str, Any]:
    """Queue in a transaction that rolls back, then in one that commits."""
    from django.db import transaction

    from notifiedby.models import OutboxMessage

    try:
        with transaction.atomic():
            _send("rolled-back@example.com")
            raise RuntimeError("the view failed")
    except RuntimeError:
        pass
    with transaction.atomic():
        keys = _send("committed@example.com")
        inside = list(OutboxMessage.objects.values_list("state", flat=True))
    after = list(OutboxMessage.objects.values_list("recipient", "state", "idempotency_key"))
    return {"inside": inside, "after": after, "keys": keys}


def queue(count: str) -> dict[str, Any]:
    """Queue ``count`` messages, to one address each, in one transaction."""
    from django.core import mail
    from django.db import transaction

    messages = [
        mail.EmailMessage("Hi", SECRET_BODY, to=[f"user{n}@example.com"]) for n in range(int(count))
    ]
    with transaction.atomic(), mail.get_connection() as connection:
        queued = connection.send_messages(messages)
    return {"queued": queued}


def admin() -> dict[str, Any]:
    """Queue a message, then fetch the outbox's changelist and change page as a superuser."""
    from notifiedby.models import OutboxMessage

    _send("listed@example.com")
    OutboxMessage.objects.update(last_error="NotifiedByServerError: " + "overloaded " * 20)
    base = "/admin/notifiedby/outboxmessage/"
    return admin_pages(
        {"changelist": base, "change": f"{base}{OutboxMessage.objects.get().pk}/change/"}
    )


def admin_pages(urls: dict[str, str]) -> dict[str, Any]:
    """Fetch each of ``urls`` as a new superuser; return its status and HTML by name."""
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", "unused"))
    pages = {}
    for name, url in urls.items():
        response = client.get(url)
        pages[name] = {"status": response.status_code, "html": response.content.decode()}
    return pages


SCENARIOS: dict[str, Callable[..., dict[str, Any]]] = {
    "transaction-path": transaction_path,
    "queue": queue,
    "admin": admin,
}


def main(scenarios: dict[str, Callable[..., dict[str, Any]]]) -> None:
    """Set Django up, run the scenario the command line names, write its JSON on stdout."""
    import django

    django.setup()
    sys.stdout.write(json.dumps(scenarios[sys.argv[1]](*sys.argv[2:])) + "\n")


if __name__ == "__main__":
    main(SCENARIOS)
