"""Django's shortcuts, views and cache with the resources, against the sandbox.

``get_object_or_404`` and ``get_list_or_404`` take a resource class, a manager or a
queryset; a view using them answers 200 and 404 through Django's test client; a resource
goes into Django's cache (which pickles it) and comes back using the default client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import django
import pytest
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_list_or_404, get_object_or_404
from django.test import Client, override_settings
from django.urls import path

from notifiedby import Email, Flow, Recipient, Subscription
from notifiedby.sandbox import Sandbox

HAS_ASYNC_SHORTCUTS = django.VERSION >= (5, 0)


def recipient_view(request: HttpRequest, email: str) -> HttpResponse:
    """Greet the recipient ``email``; 404 when the API doesn't know them."""
    recipient = get_object_or_404(Recipient, email=email)
    return HttpResponse(f"Hello {recipient.first_name}", content_type="text/plain")


#: This module is the test's URLconf.
urlpatterns = [path("recipients/<str:email>/", recipient_view)]


@pytest.fixture
def alice(notifiedby_sandbox: Sandbox) -> Recipient:
    """Alice, subscribed to WELCOME_SIGNUP, with the default client on the sandbox."""
    alice = Recipient.objects.create(email="alice@example.com", first_name="Alice")
    alice.subscribe("WELCOME_SIGNUP")
    return alice


@pytest.fixture
def web() -> Iterator[Client]:
    """Django's test client, routed to ``recipient_view``."""
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        yield Client()


def test_a_view_answers_200_for_a_known_recipient(
    alice: Recipient, web: Client, notifiedby_sandbox: Sandbox
) -> None:
    response = web.get("/recipients/alice@example.com/")

    assert response.status_code == 200
    assert response.content == b"Hello Alice"
    request = notifiedby_sandbox.requests[-1]
    assert (request.path, request.query["email"]) == ("/v1/recipients/", ["alice@example.com"])


def test_a_view_answers_404_for_an_unknown_recipient(alice: Recipient, web: Client) -> None:
    response = web.get("/recipients/bob@example.com/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "source",
    [
        lambda: Recipient,
        lambda: Recipient.objects,
        lambda: Recipient.objects.all(),
        lambda: Recipient.objects.filter(email="alice@example.com"),
    ],
    ids=["class", "manager", "queryset", "filtered queryset"],
)
def test_get_object_or_404_takes_a_class_a_manager_or_a_queryset(
    alice: Recipient, source: Callable[[], Any]
) -> None:
    klass = source()

    assert get_object_or_404(klass, email="ALICE@example.com") == alice
    with pytest.raises(Http404, match=r"No Recipient matches the given query\."):
        get_object_or_404(klass, email="bob@example.com")


def test_get_object_or_404_with_related_and_other_models(alice: Recipient) -> None:
    sub = get_object_or_404(alice.subscriptions, flow_trigger="WELCOME_SIGNUP")
    assert isinstance(sub, Subscription)
    with pytest.raises(Http404, match="No Subscription matches"):
        get_object_or_404(alice.subscriptions, status="cancelled")

    sent = Email.objects.send(recipient=alice, subject="Hi", body="<p>Hi</p>")
    assert get_object_or_404(Email, id=sent.id).body == "<p>Hi</p>"
    with pytest.raises(Http404, match="No Email matches"):
        get_object_or_404(Email, id="nope")


def test_get_list_or_404(alice: Recipient) -> None:
    (sub,) = get_list_or_404(Subscription, email="alice@example.com", status="active")
    assert sub.flow_trigger == "WELCOME_SIGNUP"
    assert get_list_or_404(Recipient.objects) == [alice]
    with pytest.raises(Http404, match="No Subscription matches"):
        get_list_or_404(Subscription.objects.filter(flow_trigger="PREMIUM_ONBOARDING"))


@pytest.mark.skipif(not HAS_ASYNC_SHORTCUTS, reason="aget_object_or_404 is new in Django 5.0")
def test_the_async_shortcuts(alice: Recipient) -> None:
    from django.shortcuts import aget_list_or_404, aget_object_or_404

    async def both() -> tuple[Recipient, list[Subscription]]:
        found = await aget_object_or_404(Recipient, email="alice@example.com")
        listed = await aget_list_or_404(alice.subscriptions)
        with pytest.raises(Http404):
            await aget_object_or_404(Recipient.objects, email="bob@example.com")
        return found, listed

    found, listed = asyncio.run(both())

    assert found == alice
    assert [s.flow_trigger for s in listed] == ["WELCOME_SIGNUP"]


def test_a_flow_is_not_a_model_django_can_query() -> None:
    # The API can't list or read flows: Django's shortcut says what it accepts.
    with pytest.raises(ValueError, match="must be a Model, Manager, or QuerySet, not 'Flow'"):
        get_object_or_404(Flow, trigger="WELCOME_SIGNUP")


def test_the_default_manager_is_not_reachable_from_instances(alice: Recipient) -> None:
    assert Recipient._default_manager.model is Recipient
    assert not hasattr(alice, "_default_manager")


def test_a_resource_goes_through_djangos_cache(
    alice: Recipient, notifiedby_sandbox: Sandbox
) -> None:
    cache.set("alice", alice)  # the local-memory cache pickles what it stores

    cached = cache.get("alice")

    assert cached == alice
    assert cached._client is None
    assert cached.subscriptions.get().flow_trigger == "WELCOME_SIGNUP"  # the default client
    cache.delete("alice")
