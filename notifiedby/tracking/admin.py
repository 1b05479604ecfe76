"""The Django admin for sent emails: their delivery status, filtered by status and date."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.utils import timezone

from notifiedby.tracking.models import TrackedEmail

__all__ = ["TrackedEmailAdmin"]


@admin.register(TrackedEmail)
class TrackedEmailAdmin(admin.ModelAdmin):
    """Read-only rows (they come from sending); one action asks about them again."""

    list_display: ClassVar[Any] = (
        "email_id", "recipient", "status", "sent_at", "status_changed_at", "checks",
        "next_check_at", "reason",
    )  # fmt: skip
    list_filter: ClassVar[Any] = ("status", ("sent_at", admin.DateFieldListFilter))
    date_hierarchy = "sent_at"
    search_fields: ClassVar[Any] = ("recipient", "email_id")
    readonly_fields: ClassVar[Any] = (
        "email_id", "recipient", "subject", "outbox_message", "status", "raw_status", "reason",
        "sent_at", "checks", "next_check_at", "status_changed_at",
    )  # fmt: skip
    actions: ClassVar[Any] = ["check_now"]

    def has_add_permission(self, request: Any) -> bool:
        return False  # rows come from sending email, not from a form

    @admin.action(description="Check the selected emails' status now")  # type: ignore[untyped-decorator]
    def check_now(self, request: Any, queryset: Any) -> None:
        # Pending rows only: a final status does not change.
        updated = queryset.filter(status=TrackedEmail.PENDING).update(next_check_at=timezone.now())
        self.message_user(request, f"{updated} email(s) will be checked at the next poll.")
