"""The table "What each query costs" of docs/orm.md, row by row, against both servers.

15 recipients (N); pages of P = 100 asked; S = 7 when the server cuts its own pages. A sent
filter (``email=``) the ignoring server doesn't apply; a local one (``flags__contains``) no
server applies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.paginator import Paginator

from notifiedby import NotifiedByClient, Recipient, Subscription
from notifiedby.query import QuerySet
from notifiedby.sandbox import RecordedRequest, Sandbox
from tests.resources.queries._people import MODES, seed_people, seed_subscriptions

Calls = Callable[[], list[RecordedRequest]]
R = QuerySet[Recipient]

LAST = "max@example.net"  # the last of the 15, on the server's page 3


def paginate(qs: R) -> list[Recipient]:
    paginator = Paginator(qs, 4)
    assert paginator.count
    return list(paginator.page(2))


#: (row of the table, the query, requests when the server honours, when it ignores both)
ROWS: list[tuple[str, Callable[[R], object], int, int]] = [
    ("building", lambda qs: qs.filter(email=LAST).exclude(flags=[])[2:5], 0, 0),
    ("list, no filter", list, 1, 3),
    ("list, sent filter", lambda qs: list(qs.filter(email=LAST)), 1, 1 + 3),
    ("list, local filter", lambda qs: list(qs.filter(flags__contains="vip")), 1, 3),
    ("count, local filter", lambda qs: qs.filter(flags__contains="vip").count(), 1, 3),
    ("order_by", lambda qs: list(qs.order_by("first_name")), 1, 3),
    ("reverse", lambda qs: list(qs.reverse()), 1, 3),
    ("earliest", lambda qs: qs.earliest("first_name"), 1, 3),
    ("latest", lambda qs: qs.latest("created_at"), 1, 3),
    ("in_bulk", lambda qs: qs.in_bulk(["ann@example.com", LAST]), 1, 3),
    ("count", lambda qs: qs.count(), 1, 1),
    ("count, sent filter", lambda qs: qs.filter(email=LAST).count(), 1, 1 + 3),
    ("exists", lambda qs: qs.exists(), 1, 1),
    ("first", lambda qs: qs.first(), 1, 1),
    ("[:k]", lambda qs: list(qs[:10]), 1, 2),  # ceil(10 / 7)
    ("first, local filter", lambda qs: qs.filter(flags__contains="vip").first(), 1, 1),
    ("first, sent filter", lambda qs: qs.filter(email=LAST).first(), 1, 1 + 3),
    ("[i]", lambda qs: qs[4], 1, 2),
    ("[a:b]", lambda qs: list(qs[3:12]), 1, 2),
    ("last", lambda qs: qs.last(), 2, 4),
    ("last, local filter", lambda qs: qs.filter(flags__contains="vip").last(), 1, 3),
    ("get", lambda qs: qs.get(email=LAST), 1, 1 + 3),
    ("get_or_create, found", lambda qs: qs.get_or_create(email=LAST), 1, 1 + 3),
    ("in_bulk, one", lambda qs: qs.in_bulk([LAST]), 1, 1 + 3),
    ("get, local filter", lambda qs: qs.get(first_name="Max"), 1, 3),
    ("values", lambda qs: list(qs.values_list("email", flat=True)), 1, 3),
    ("Paginator", paginate, 1 + 1, 1 + 3),
    ("Paginator, local", lambda qs: paginate(qs.filter(flags__contains="vip")), 1 + 1, 3 + 2),
    ("update_or_create", lambda qs: qs.update_or_create(email=LAST), 1, 1),
    ("get_or_create, created", lambda qs: qs.get_or_create(email="new@example.com"), 2, 5),
    ("create", lambda qs: qs.create(email="new@example.com"), 1, 1),
]


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize(
    ("query", "honouring", "ignoring"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_each_row_of_the_table(
    sandbox: Sandbox,
    client: NotifiedByClient,
    api_calls: Calls,
    mode: str,
    query: Callable[[R], Any],
    honouring: int,
    ignoring: int,
) -> None:
    seed_people(sandbox)
    sandbox.configure(**MODES[mode])
    api_calls()
    query(Recipient.objects.using(client).all())
    assert len(api_calls()) == (honouring if mode == "honouring" else ignoring)


@pytest.mark.parametrize("mode", list(MODES))
def test_a_subscription_delete_reads_every_page_then_deletes_each_pair(
    sandbox: Sandbox, client: NotifiedByClient, api_calls: Calls, mode: str
) -> None:
    seed_people(sandbox)
    listed = seed_subscriptions(sandbox)  # 11: two pages of 7
    sandbox.configure(**MODES[mode])
    api_calls()
    assert Subscription.objects.using(client).filter(status="cancelled").delete() == 2
    methods = [r.method for r in api_calls()]
    assert methods == ["GET"] * (1 if mode == "honouring" else 2) + ["DELETE"] * 2
    assert len(listed) == 11
