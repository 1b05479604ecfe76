"""Sign-up, upgrade and cancel: each changes the user's flags and flows on NotifiedBy."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from notifiedby import (
    NotifiedByMessage,
    clear_recipient_flags,
    set_recipient_flags,
    subscribe_to_flow,
    unsubscribe_from_flow,
)


@require_POST
def signup(request: HttpRequest) -> HttpResponse:
    """Create the user; the post_save signal does the NotifiedBy part."""
    user = User.objects.create_user(
        request.POST["username"],
        request.POST["email"],
        first_name=request.POST.get("first_name", ""),
    )
    return JsonResponse({"username": user.username}, status=201)


@require_POST
def upgrade(request: HttpRequest, username: str) -> HttpResponse:
    """Move the user to the premium plan, and send the receipt."""
    user = get_object_or_404(User, username=username)
    set_recipient_flags(email=user.email, flags=["premium"])
    clear_recipient_flags(email=user.email, flags=["free_plan"])
    subscribe_to_flow(flow_trigger="PREMIUM_ONBOARDING", email=user.email)
    receipt = NotifiedByMessage(
        "Your premium receipt",
        "Thanks for upgrading.",
        to=[user.email],
        first_name=user.first_name,
    )
    receipt.attach("receipt.txt", "Premium plan: 10 EUR", "text/plain")
    receipt.send()
    return JsonResponse({"plan": "premium"})


@require_POST
def cancel(request: HttpRequest, username: str) -> HttpResponse:
    """Stop premium onboarding and try to win the user back."""
    user = get_object_or_404(User, username=username)
    unsubscribe_from_flow(flow_trigger="PREMIUM_ONBOARDING", email=user.email)
    subscribe_to_flow(flow_trigger="REENGAGE_INACTIVE", email=user.email)
    return JsonResponse({"plan": "cancelled"})
