"""pytest set-up of the example shop: Django from shop.settings, a rolled-back database per test.

With pytest-django installed, its ``db`` fixture gives the database; without it, this file
migrates the in-memory database once and rolls each test back. The sandbox fixtures
(notifiedby_mailer, notifiedby_mailoutbox...) come from the notifiedby pytest plugin, which
the installed package registers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
django.setup()


def _pytest_django(request: pytest.FixtureRequest) -> bool:
    return request.config.pluginmanager.hasplugin("django")


@pytest.fixture(scope="session", autouse=True)
def _migrated(request: pytest.FixtureRequest) -> None:
    if not _pytest_django(request):
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


@pytest.fixture(autouse=True)
def _database(request: pytest.FixtureRequest) -> Iterator[None]:
    if _pytest_django(request):
        request.getfixturevalue("db")
        yield
        return
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def client() -> django.test.Client:
    from django.test import Client

    return Client()
