"""Fetch the suppression list's admin pages as a superuser; print what came back as JSON.

Run by tests/suppression/test_admin.py as ``python -m tests.suppression.admin_run`` with
``DJANGO_SETTINGS_MODULE=tests.suppression.admin_settings``.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def pages() -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from notifiedby.models import Suppression

    call_command("migrate", verbosity=0, interactive=False)
    entry = Suppression.objects.suppress("listed@example.com", reason="bounced", source="tracking")
    client = Client()
    client.force_login(User.objects.create_superuser("admin", "admin@example.com", "unused"))
    base = "/admin/notifiedby/suppression/"
    urls = {
        "changelist": base,
        "filtered": f"{base}?reason__exact=bounced&q=LISTED",
        "change": f"{base}{entry.pk}/change/",
        "add": f"{base}add/",
    }
    found = {name: _page(client.get(url)) for name, url in urls.items()}
    added = client.post(
        f"{base}add/",
        {"address": "Added@Example.com", "reason": "manual", "source": "admin",
         "created_at_0": "2026-01-31", "created_at_1": "09:30:00"},
    )  # fmt: skip
    addresses = sorted(Suppression.objects.values_list("address", flat=True))
    return {**found, "posted": {"status": added.status_code}, "addresses": addresses}


def _page(response: Any) -> dict[str, Any]:
    return {"status": response.status_code, "html": response.content.decode()}


if __name__ == "__main__":
    import django

    django.setup()
    sys.stdout.write(json.dumps(pages()) + "\n")
