"""Row leases shared by the outbox and delivery tracking: take due rows no one else holds."""

from __future__ import annotations

from typing import TypeVar

from django.db import connections, models
from django.db.models import QuerySet

__all__ = ["skip_locked"]

M = TypeVar("M", bound=models.Model)


def skip_locked(due: QuerySet[M], using: str) -> QuerySet[M]:
    """Return ``due`` locking the rows it reads and skipping rows other transactions lock
    (``SELECT ... FOR UPDATE SKIP LOCKED``), so concurrent workers take different rows.

    Databases without it (SQLite) get ``due`` unchanged: run one worker there.
    """
    if connections[using].features.has_select_for_update_skip_locked:
        return due.select_for_update(skip_locked=True)
    return due
