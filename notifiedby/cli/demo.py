"""The demo: the documented complete example, then a tour of the ORM-style API.

``notifiedby demo`` (and ``make demo``) runs it on an embedded sandbox; :func:`main` runs it
against any server, for example one started with ``notifiedby sandbox``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from notifiedby import (
    Email,
    Flow,
    NotifiedByClient,
    Recipient,
    Subscription,
    clear_recipient_flags,
    list_flow_subscriptions,
    set_recipient_flags,
    subscribe_to_flow,
    unsubscribe_from_flow,
)
from notifiedby.cli.format import timestamp
from notifiedby.exceptions import NotifiedByRecipientBlocked

# --- The documentation's complete example, as written ------------------------------------


# When a user signs up
def on_user_signup(user: Any) -> None:
    subscribe_to_flow(
        flow_trigger="WELCOME_SIGNUP",
        email=user.email,
        first_name=user.first_name,
        last_name=user.last_name,
        flags=["free_plan"],
    )


# When a user upgrades to premium
def on_user_upgrade(user: Any) -> None:
    set_recipient_flags(email=user.email, flags=["premium"])
    clear_recipient_flags(email=user.email, flags=["free_plan"])
    subscribe_to_flow(
        flow_trigger="PREMIUM_ONBOARDING",
        email=user.email,
    )


# When a user cancels
def on_user_cancel(user: Any) -> None:
    unsubscribe_from_flow(
        flow_trigger="PREMIUM_ONBOARDING",
        email=user.email,
    )
    subscribe_to_flow(
        flow_trigger="REENGAGE_INACTIVE",
        email=user.email,
    )


def heading(text: str) -> None:
    print(f"\n== {text}")


def show_subscriptions(email: str) -> None:
    for sub in Subscription.objects.filter(email=email):
        print(f"   {sub.flow_name:<26} {sub.status:<10} step {sub.current_step_order}")


def complete_example() -> None:
    user = SimpleNamespace(email="grace@example.com", first_name="Grace", last_name="Hopper")
    heading("Complete example: Grace signs up")
    on_user_signup(user)
    show_subscriptions(user.email)
    heading("Grace upgrades to premium")
    on_user_upgrade(user)
    print(f"   flags: {Recipient.objects.get(email=user.email).flags.all()}")
    show_subscriptions(user.email)
    heading("Grace cancels")
    on_user_cancel(user)
    show_subscriptions(user.email)
    result = list_flow_subscriptions(page=1)
    print(f"   list_flow_subscriptions(page=1): {result['count']} subscription(s) in all")


def orm_tour(client: NotifiedByClient) -> None:
    heading("Recipients: create (an upsert), get, flags")
    alice = Recipient.objects.create(
        email="alice@example.com", first_name="Alice", flags=["free_plan"]
    )
    print(f"   created {alice!r}, sqid {alice.sqid}, flags {alice.flags.all()}")
    alice = Recipient.objects.get(email="ALICE@example.com")  # addresses match in any case
    alice.flags.add("premium", "onboarded")
    alice.flags.remove("free_plan")
    print(
        f"   after add/remove: {alice.flags.all()}; 'premium' in flags: {'premium' in alice.flags}"
    )
    try:
        Recipient.objects.get(email="nobody@example.com")
    except Recipient.DoesNotExist as exc:
        print(f"   Recipient.DoesNotExist: {exc}")

    heading("Flows are handles (the API can't read them); subscribing returns a Subscription")
    welcome = Flow.objects.get(trigger="WELCOME_SIGNUP")
    sub = welcome.subscribe(alice)
    due = timestamp(sub.next_send_date)
    print(f"   {sub!r}: id {sub.id}, {sub.flow_name!r}, next step due {due}")
    alice.subscribe("PREMIUM_ONBOARDING")
    print(f"   alice's subscriptions: {list(alice.subscriptions)}")

    heading("Lazy querysets: nothing is read until needed, then pages as the loop reaches them")
    for i in range(12):
        Recipient.objects.create(email=f"reader{i:02d}@example.com", first_name=f"Reader {i}")
    readers = Recipient.objects.all()
    print(f"   count() = {readers.count()} (one request, the server's count)")
    print(f"   first three: {[r.email for r in readers[:3]]}")
    print(f"   repr shows at most 20: {str(readers)[:70]}...")
    active = Subscription.objects.filter(flow_trigger="WELCOME_SIGNUP", status="active")
    print(f"   active WELCOME_SIGNUP subscriptions: {active.count()}")

    heading("Emails: send, blocked recipients, delivery status, the list (whose items have no id)")
    sent = Email.objects.send(recipient=alice, subject="Your invoice", body="<p>Thanks!</p>")
    status = sent.delivery_status()
    print(f"   sent {sent.id}: {status.status} (ses id {status.ses_id})")
    try:
        other = Email.objects.send(recipient="blocked@example.com", subject="Hi", body="<p>Hi</p>")
        print(f"   sent {other.id}: this server doesn't block blocked@example.com")
    except NotifiedByRecipientBlocked as exc:
        print(f"   blocked: {exc}")
    for email in Email.objects.filter(recipient="alice@example.com")[:10]:
        print(f"   {timestamp(email.created_on)} {email.subject!r} to {email.recipient}")
    latest = Email.objects.latest(recipient="alice@example.com")
    print(f"   latest to alice: {latest.subject!r}, body {latest.body!r}")

    heading("using(client): the same queries through another client (another account, say)")
    print(f"   {Recipient.objects.using(client).filter(email='alice@example.com').count()} match")

    heading("Cleaning up: delete every subscription of Alice")
    deleted = Subscription.objects.filter(email="alice@example.com").delete()
    print(f"   deleted {deleted} subscription(s)")


@contextmanager
def default_client_settings(base_url: str, api_key: str) -> Iterator[None]:
    # The documented functions take their client from settings; point them at this server.
    saved = {name: os.environ.get(name) for name in ("NOTIFIEDBY_BASE_URL", "NOTIFIEDBY_API_KEY")}
    os.environ.update(NOTIFIEDBY_BASE_URL=base_url, NOTIFIEDBY_API_KEY=api_key)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main(base_url: str, api_key: str) -> None:
    """Run the complete example and the ORM tour against ``base_url`` with ``api_key``."""
    with (
        default_client_settings(base_url, api_key),
        NotifiedByClient(api_key=api_key, base_url=base_url) as client,
    ):
        complete_example()
        orm_tour(client)


def run_on_sandbox() -> None:
    """Start an embedded sandbox, run the tour on it, and say what the server saw."""
    from notifiedby.sandbox import Sandbox

    with Sandbox() as sandbox:
        print(f"NotifiedBy sandbox running at {sandbox.url} (nothing leaves this machine)")
        sandbox.block("blocked@example.com")
        main(sandbox.url, sandbox.api_key)
        print(
            f"\nThe sandbox received {len(sandbox.requests)} requests"
            f" and accepted {len(sandbox.emails)} emails."
        )
        print("Run your own with `notifiedby sandbox` and point NOTIFIEDBY_BASE_URL at it.")
