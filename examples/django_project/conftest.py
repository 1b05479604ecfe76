"""Test set-up of the example shop: Django from shop.settings, a migrated in-memory database.

The sandbox fixtures (notifiedby_mailer, notifiedby_outbox...) come from the notifiedby
pytest plugin, which the installed package registers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
django.setup()


@pytest.fixture(scope="session", autouse=True)
def _database() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


@pytest.fixture(autouse=True)
def _rollback() -> Iterator[None]:
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def client() -> django.test.Client:
    from django.test import Client

    return Client()
