"""The Django admin for the outbox: a list to watch and retry, never the message content."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.utils import timezone

from notifiedby.models import OutboxMessage
from notifiedby.suppression.admin import SuppressionAdmin
from notifiedby.tracking.admin import TrackedEmailAdmin

__all__ = ["OutboxMessageAdmin", "SuppressionAdmin", "TrackedEmailAdmin"]

#: Characters of ``last_error`` shown in the list.
LAST_ERROR_SHOWN = 80


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Rows without their encrypted payload; editing is limited to the retry action."""

    list_display: ClassVar[Any] = (
        "id", "recipient", "state", "attempts", "next_attempt_at", "email_id", "last_error_excerpt",
        "created_at",
    )  # fmt: skip
    list_filter: ClassVar[Any] = ("state",)
    search_fields: ClassVar[Any] = ("recipient", "email_id", "idempotency_key")
    exclude: ClassVar[Any] = ("payload",)
    readonly_fields: ClassVar[Any] = (
        "recipient", "idempotency_key", "state", "attempts", "next_attempt_at", "last_error",
        "email_id", "created_at", "sent_at",
    )  # fmt: skip
    actions: ClassVar[Any] = ["retry_now"]

    def has_add_permission(self, request: Any) -> bool:
        return False  # rows come from sending email, not from a form

    @admin.display(description="last error")  # type: ignore[untyped-decorator]
    def last_error_excerpt(self, row: OutboxMessage) -> str:
        """Return the start of the row's last error; the whole text is on the row's page."""
        error = str(row.last_error)
        return error if len(error) <= LAST_ERROR_SHOWN else error[: LAST_ERROR_SHOWN - 1] + "…"

    @admin.action(description="Retry the selected messages now")  # type: ignore[untyped-decorator]
    def retry_now(self, request: Any, queryset: Any) -> None:
        updated = queryset.exclude(state=OutboxMessage.SENT).update(
            state=OutboxMessage.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        self.message_user(request, f"{updated} message(s) will be retried.")
