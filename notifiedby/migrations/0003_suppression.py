"""The suppression list's table."""

from __future__ import annotations

from typing import ClassVar

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies: ClassVar[list[tuple[str, str]]] = [
        ("notifiedby", "0002_tracking"),
    ]

    operations: ClassVar[list[migrations.operations.base.Operation]] = [
        migrations.CreateModel(
            name="Suppression",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("address", models.EmailField(max_length=320, unique=True)),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("bounced", "bounced"),
                            ("complained", "complained"),
                            ("manual", "manual"),
                        ],
                        default="manual",
                        max_length=16,
                    ),
                ),
                ("source", models.CharField(blank=True, default="", max_length=64)),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
            ],
            options={
                "verbose_name": "suppressed address",
                "verbose_name_plural": "suppression list",
                "ordering": ["-created_at"],
            },
        ),
    ]
