"""The Django model of delivery tracking: one row per email sent, and where it is."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

__all__ = ["TrackedEmail"]


class TrackedEmail(models.Model):
    """One email the API accepted, and its delivery status as last read from the API.

    No body is stored; the subject only when ``NOTIFIEDBY_TRACKING_STORE_SUBJECT`` is on.
    """

    PENDING = "pending"
    DELIVERED = "delivered"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    FAILED = "failed"
    UNKNOWN = "unknown"
    STATUSES: ClassVar[list[tuple[str, str]]] = [
        (PENDING, "pending"),
        (DELIVERED, "delivered"),
        (BOUNCED, "bounced"),
        (COMPLAINED, "complained"),
        (FAILED, "failed"),
        (UNKNOWN, "unknown"),
    ]

    #: The id the API gave the email.
    email_id = models.CharField(max_length=64, unique=True)
    recipient = models.CharField(max_length=320)
    subject = models.CharField(max_length=998, blank=True, default="")
    #: The outbox row that sent it, if it went through the outbox.
    outbox_message = models.ForeignKey(
        "notifiedby.OutboxMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tracked_emails",
    )
    status = models.CharField(max_length=16, choices=STATUSES, default=PENDING)
    #: The status as the API spelled it last (it may be one the SDK doesn't know).
    raw_status = models.CharField(max_length=64, blank=True, default="")
    #: Why the status is ``unknown`` (not found, gave up, an unknown value).
    reason = models.TextField(blank=True, default="")
    sent_at = models.DateTimeField()
    #: Delivery status requests answered for this email.
    checks = models.PositiveIntegerField(default=0)
    #: When a poller should ask next; also a lease while one asks; null once final.
    next_check_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "notifiedby"
        verbose_name = "sent email"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["next_check_at"], name="notifiedby_tracked_due"),
            models.Index(fields=["status", "sent_at"], name="notifiedby_tracked_status"),
        ]

    def __str__(self) -> str:
        return f"{self.status} email to {self.recipient} ({self.email_id})"
