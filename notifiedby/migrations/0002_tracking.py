"""The delivery tracking table: one row per email sent."""

from __future__ import annotations

from typing import ClassVar

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies: ClassVar[list[tuple[str, str]]] = [
        ("notifiedby", "0001_outbox"),
    ]

    operations: ClassVar[list[migrations.operations.base.Operation]] = [
        migrations.CreateModel(
            name="TrackedEmail",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email_id", models.CharField(max_length=64, unique=True)),
                ("recipient", models.CharField(max_length=320)),
                ("subject", models.CharField(blank=True, default="", max_length=998)),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "pending"),
                            ("delivered", "delivered"),
                            ("bounced", "bounced"),
                            ("complained", "complained"),
                            ("failed", "failed"),
                            ("unknown", "unknown"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("raw_status", models.CharField(blank=True, default="", max_length=64)),
                ("reason", models.TextField(blank=True, default="")),
                ("sent_at", models.DateTimeField()),
                ("checks", models.PositiveIntegerField(default=0)),
                ("next_check_at", models.DateTimeField(blank=True, null=True)),
                ("status_changed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "outbox_message",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tracked_emails",
                        to="notifiedby.outboxmessage",
                    ),
                ),
            ],
            options={
                "verbose_name": "sent email",
                "indexes": [
                    models.Index(fields=["next_check_at"], name="notifiedby_tracked_due"),
                    models.Index(fields=["status", "sent_at"], name="notifiedby_tracked_status"),
                ],
            },
        ),
    ]
