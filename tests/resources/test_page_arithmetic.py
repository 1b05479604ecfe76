"""The worked examples in notifiedby/_pagination.py's docstrings, as they are written."""

from __future__ import annotations

from collections.abc import Callable

from notifiedby import NotifiedByClient, Recipient
from notifiedby._pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    first_page_to_read,
    server_page_size,
)
from notifiedby._wire.lists import RawPage
from notifiedby.sandbox import RecordedRequest, Sandbox
from tests.resources.conftest import make_recipients


def _page(rows: int, count: int, *, has_next: bool) -> RawPage:
    next_link = "http://api.test/next" if has_next else None
    return RawPage(rows=[{}] * rows, next=next_link, previous=None, count=count, bare=False)


def test_a_bounded_slice_asks_for_the_smallest_page_that_holds_it() -> None:
    assert first_page_to_read(10, 5, None) == (5, 3)  # qs[10:15]
    assert first_page_to_read(3, 6, None) == (9, 1)  # qs[3:9]: 6, 7 and 8 cut it


def test_other_reads_start_on_the_page_holding_low() -> None:
    assert first_page_to_read(250, None, None) == (DEFAULT_PAGE_SIZE, 3)
    assert first_page_to_read(250, 5, 20) == (20, 13)  # chunk_size wins
    assert first_page_to_read(600, 501, None) == (MAX_PAGE_SIZE, 2)  # no page of 500 holds it


def test_the_server_page_size_is_learnt_from_a_page() -> None:
    assert server_page_size(_page(7, 23, has_next=True), 3, 5) == 7  # a full page
    assert server_page_size(_page(2, 23, has_next=False), 4, 5) == 7  # 21 over pages 1 to 3
    assert server_page_size(_page(2, 24, has_next=False), 4, 5) == 5  # 22 don't share evenly
    assert server_page_size(_page(3, 3, has_next=False), 1, 5) == 5  # nothing tells


def test_the_slice_example_costs_three_requests(
    sandbox: Sandbox, client: NotifiedByClient, api_calls: Callable[[], list[RecordedRequest]]
) -> None:
    emails = make_recipients(client, 23)
    sandbox.configure(ignore_page_size=True, page_size=7)
    api_calls()
    assert [r.email for r in Recipient.objects.using(client).all()[10:15]] == emails[10:15]
    asked = [(r.query.get("page"), r.query.get("page_size")) for r in api_calls()]
    # Page 3 of 5 holds 14 to 20 (pages of 7); page 2 holds 10 to 13; its next link, 14.
    assert asked == [(["3"], ["5"]), (["2"], ["5"]), (["3"], ["5"])]
