"""A new user is subscribed to the welcome flow and gets a welcome email."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db.models.signals import post_save
from django.dispatch import receiver

from notifiedby import subscribe_to_flow


@receiver(post_save, sender=User)
def on_user_created(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    subscribe_to_flow(
        flow_trigger="WELCOME_SIGNUP",
        email=instance.email,
        first_name=instance.first_name,
        last_name=instance.last_name,
        flags=["free_plan"],
    )
    send_mail(
        "Welcome to the shop",
        f"Hi {instance.first_name},\n\nthanks for signing up.",
        None,
        [instance.email],
    )
