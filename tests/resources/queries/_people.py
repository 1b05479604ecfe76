"""Test data for the queryset tests: recipients and subscriptions seeded through the sandbox's
store (fast, and no request counted), and the two server behaviours the tests run against."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from notifiedby import Recipient, Subscription
from notifiedby.query import DEFAULT_PAGE_SIZE
from notifiedby.sandbox import Sandbox

#: (email, first_name, last_name, flags, has_been_sent_email), in the API's order.
PEOPLE: list[tuple[str, str, str, list[str], bool]] = [
    ("ann@example.com", "Ann", "Lee", ["vip"], True),
    ("bob@example.com", "bob", "Stone", [], False),
    ("alice@example.com", "Alice", "", ["vip", "beta"], False),
    ("carl@example.com", "Carl", "Andersen", ["beta"], True),
    ("abe@example.com", "Abe", "Lincoln", ["vip"], False),
    ("dora@example.com", "Dora", "", [], False),
    ("eve@example.org", "Eve", "Adams", ["beta"], True),
    ("frank@example.org", "frank", "Lee", ["vip", "free"], False),
    ("gina@example.org", "Gina", "Ng", ["free"], False),
    ("hal@example.net", "Hal", "", [], True),
    ("ida@example.net", "Ida", "Lee", ["vip"], False),
    ("jon@example.net", "Jon", "Snow", ["beta", "free"], False),
    ("kim@example.net", "", "Kim", [], False),
    ("LEO@example.net", "Leo", "Ant", ["vip"], True),
    ("max@example.net", "Max", "Power", [], False),
]

#: The server's page size when it ignores page_size: the 15 people take 3 pages.
SERVER_PAGE = 7
#: The two behaviours of contract section 3 and 4: a server that does as asked, and one that
#: ignores list filters and page sizes.
MODES: dict[str, dict[str, Any]] = {
    "honouring": {},
    "ignoring": {"ignore_filters": True, "ignore_page_size": True, "page_size": SERVER_PAGE},
}


def seed_people(sandbox: Sandbox) -> list[Recipient]:
    """Store PEOPLE in the sandbox; return them as the API lists them (no request made)."""
    store = sandbox.control.store
    for email, first, last, flags, sent in PEOPLE:
        store.upsert_recipient(
            email, first_name=first, last_name=last, flags=flags, sent_email=sent
        )
    return [Recipient.from_api(row) for row in sandbox.recipients]


def seed_subscriptions(sandbox: Sandbox) -> list[Subscription]:
    """Subscribe the first six people to WELCOME_SIGNUP and every third one to
    PREMIUM_ONBOARDING, cancelling two; return them as listed (no request made)."""
    store = sandbox.control.store
    welcome, premium = store.get_flow("WELCOME_SIGNUP"), store.get_flow("PREMIUM_ONBOARDING")
    assert welcome is not None
    assert premium is not None
    for email, *_ in PEOPLE[:6]:
        store.add_subscription(email, welcome)
    for email, *_ in PEOPLE[::3]:
        store.add_subscription(email, premium)
    for row in sandbox.subscriptions[1:4:2]:
        store.cancel_subscription(row["id"])
    return [Subscription.from_api(row) for row in sandbox.subscriptions]


def emails(objects: Iterable[Any]) -> list[str]:
    """Return the ``email`` of each object."""
    return [obj.email for obj in objects]


def full_read(mode: str, total: int = len(PEOPLE), chunk: int = DEFAULT_PAGE_SIZE) -> int:
    """Return the requests a read of every page makes: the server's pages when it ignores
    the page size asked for."""
    return math.ceil(total / (SERVER_PAGE if mode == "ignoring" else chunk))
