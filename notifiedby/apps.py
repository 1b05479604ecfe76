"""The Django app: add ``"notifiedby"`` to INSTALLED_APPS for its system checks."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["NotifiedByConfig"]


class NotifiedByConfig(AppConfig):
    """The ``notifiedby`` app."""

    name = "notifiedby"
    verbose_name = "NotifiedBy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing registers the checks.
        from notifiedby import checks  # noqa: F401
        from notifiedby.signals import tracking
        from notifiedby.suppression.receivers import on_tracking

        tracking.connect(on_tracking, dispatch_uid="notifiedby.suppression")
