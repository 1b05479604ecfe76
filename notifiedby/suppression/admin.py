"""The Django admin for the suppression list: browse, add and lift suppressed addresses."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin

from notifiedby.suppression.models import Suppression

__all__ = ["SuppressionAdmin"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """The list, filtered by reason and date, searched by address; deleting lifts."""

    list_display: ClassVar[Any] = ("address", "reason", "source", "created_at")
    list_filter: ClassVar[Any] = ("reason", "created_at")
    search_fields: ClassVar[Any] = ("address",)
    date_hierarchy = "created_at"
    fields: ClassVar[Any] = ("address", "reason", "source", "created_at")

    def get_changeform_initial_data(self, request: Any) -> dict[str, Any]:
        """Say where an entry added here came from."""
        return {"source": "admin", **super().get_changeform_initial_data(request)}
