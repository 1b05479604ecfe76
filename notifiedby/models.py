"""The Django models of the ``notifiedby`` app: the durable email outbox."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from notifiedby.suppression.models import Suppression
from notifiedby.tracking.models import TrackedEmail

__all__ = ["OutboxMessage", "Suppression", "TrackedEmail"]


class OutboxMessage(models.Model):
    """One email to one address, waiting to be sent or done with.

    The content (subject, bodies, names, flags, attachments) is one encrypted ``payload``;
    only what a worker or an operator needs to find and judge a row is in clear.
    """

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    STATES: ClassVar[list[tuple[str, str]]] = [
        (PENDING, "pending"),
        (SENT, "sent"),
        (FAILED, "failed"),
    ]

    recipient = models.CharField(max_length=320)
    #: Sent with every attempt, so the API recognises a repeat and sends once.
    idempotency_key = models.CharField(max_length=255, unique=True)
    #: MultiFernet token of the JSON content; never plaintext.
    payload = models.BinaryField()
    state = models.CharField(max_length=16, choices=STATES, default=PENDING)
    attempts = models.PositiveIntegerField(default=0)
    #: When a worker may try again; also the order in which pending rows are taken.
    next_attempt_at = models.DateTimeField()
    #: Why the last attempt failed (for ``failed``: why it was given up).
    last_error = models.TextField(blank=True, default="")
    #: The id the API gave the email, once sent.
    email_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "notifiedby"
        verbose_name = "outbox message"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "next_attempt_at"], name="notifiedby_outbox_due"),
        ]

    def __str__(self) -> str:
        return f"{self.state} email to {self.recipient} (#{self.pk})"
