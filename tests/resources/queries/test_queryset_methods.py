"""The QuerySet methods Django users reach for (order_by, reverse, last, earliest, latest,
in_bulk, values, values_list, iterator, Paginator, pickling, async twins), over real HTTP
against both server behaviours, with the requests each makes."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable

import pytest
from django.core.paginator import Paginator

from notifiedby import NotifiedByClient, Recipient, Subscription
from notifiedby.exceptions import NotifiedByInvalidArgument
from notifiedby.query import Q
from notifiedby.sandbox import RecordedRequest, Sandbox
from tests.resources.queries._people import (
    PEOPLE,
    emails,
    full_read,
    seed_subscriptions,
)

Calls = Callable[[], list[RecordedRequest]]


def test_order_by_sorts_every_match_here(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    by_first = sorted(people, key=lambda r: r.first_name)  # stable: ties keep the API's order
    by_last_then_first = sorted(by_first, key=lambda r: r.last_name, reverse=True)
    api_calls()
    assert emails(recipients.order_by("first_name")) == emails(by_first)
    assert emails(recipients.order_by("-last_name", "first_name")) == emails(by_last_then_first)
    assert emails(recipients.order_by("first_name")[2:5]) == emails(by_first[2:5])
    assert recipients.order_by("first_name")[3].email == by_first[3].email
    vips = recipients.filter(flags__contains="vip").order_by("-first_name")
    assert emails(vips) == [r.email for r in reversed(by_first) if "vip" in r.flags]
    assert len(api_calls()) == 5 * full_read(mode)
    assert emails(recipients.order_by("first_name").order_by()) == emails(people)
    assert recipients.order_by("first_name").ordered


def test_reverse_turns_the_order_and_its_ties_round(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    assert emails(recipients.reverse()) == emails(people[::-1])
    assert emails(recipients.reverse()[:3]) == emails(people[:-4:-1])
    by_last = list(recipients.order_by("last_name"))
    assert list(recipients.order_by("last_name").reverse()) == by_last[::-1]
    assert emails(recipients.reverse().reverse()) == emails(people)
    assert len(api_calls()) == 5 * full_read(mode)


def test_nulls_sort_last_and_first_when_descending(
    sandbox: Sandbox, client: NotifiedByClient, people: list[Recipient]
) -> None:
    subscriptions = seed_subscriptions(sandbox)
    manager = Subscription.objects.using(client)
    cancelled = [s.id for s in subscriptions if s.next_send_date is None]
    assert len(cancelled) == 2
    assert [s.id for s in manager.order_by("next_send_date")][-2:] == cancelled
    assert [s.id for s in manager.order_by("-next_send_date")][:2] == cancelled


def test_first_last_earliest_latest(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    assert recipients.first() == people[0]
    assert len(api_calls()) == 1
    assert recipients.last() == people[-1]
    # A count, then the last object by its position (the server with its own page size
    # has no page 15 of 1: page 1 shows the size, then page 3).
    assert len(api_calls()) == (2 if mode == "honouring" else 4)
    vips = [r for r in people if "vip" in r.flags]
    assert recipients.filter(flags__contains="vip").last() == vips[-1]
    assert recipients.order_by("first_name").last() == max(people, key=lambda r: r.first_name)
    assert recipients.earliest("created_at") == people[0]
    assert recipients.latest("created_at") == people[-1]
    assert recipients.latest("last_name", "first_name").email == "bob@example.com"
    assert recipients.filter(flags__contains="vip").earliest("first_name").first_name == "Abe"
    assert len(api_calls()) == 6 * full_read(mode)
    with pytest.raises(Recipient.DoesNotExist):
        recipients.filter(first_name="Nobody").latest("created_at")
    assert recipients.filter(first_name="Nobody").last() is None
    assert recipients.none().last() is None


def test_first_and_indexing_with_a_local_filter_read_only_the_pages_they_need(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    assert recipients.filter(flags__contains="vip").first() == people[0]
    assert recipients.filter(flags__contains="vip").exists()
    assert len(api_calls()) == 2  # the first page holds a match
    assert recipients.filter(flags__contains="vip")[3] == people[7]  # on the second page of 7
    assert len(api_calls()) == (1 if mode == "honouring" else 2)
    assert recipients.get(Q(first_name="Max") | Q(first_name="Nobody")) == people[-1]
    assert len(api_calls()) == full_read(mode)


def test_in_bulk(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    everyone = recipients.in_bulk()
    assert list(everyone) == emails(people)
    assert everyone["ann@example.com"] == people[0]
    two = recipients.in_bulk(["ann@example.com", "LEO@example.net", "nobody@example.com"])
    assert two == {"ann@example.com": people[0], "LEO@example.net": people[13]}
    assert len(api_calls()) == 2 * full_read(mode)
    assert recipients.in_bulk(["max@example.net"]) == {"max@example.net": people[-1]}
    assert len(api_calls()) == (1 if mode == "honouring" else 1 + full_read(mode))
    by_sqid = recipients.filter(flags__contains="vip").in_bulk(field_name="sqid")
    assert by_sqid == {r.sqid: r for r in people if "vip" in r.flags}
    assert recipients.in_bulk([]) == {}
    assert len(api_calls()) == full_read(mode)


def test_values_and_values_list(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    rows = recipients.filter(last_name="Lee").values("email", "flags")
    assert list(rows) == [
        {"email": r.email, "flags": r.flags} for r in people if r.last_name == "Lee"
    ]
    ann = people[0]
    assert list(recipients.values()[:1]) == [
        {
            "email": ann.email,
            "sqid": ann.sqid,
            "first_name": "Ann",
            "last_name": "Lee",
            "flags": ["vip"],
            "has_been_sent_email": True,
            "created_at": ann.created_at,
            "updated_at": ann.updated_at,
        }
    ]
    assert list(recipients.values_list("first_name", flat=True)[:3]) == ["Ann", "bob", "Alice"]
    assert recipients.values_list("first_name", "last_name")[0] == ("Ann", "Lee")
    named = recipients.values_list("email", "has_been_sent_email", named=True).first()
    assert named is not None
    assert (named.email, named.has_been_sent_email) == ("ann@example.com", True)
    assert list(recipients.values_list(flat=True)) == emails(people)  # the pk
    by_name = recipients.order_by("-first_name").values_list("first_name", flat=True)[:2]
    assert list(by_name) == ["frank", "bob"]  # lower case sorts after upper case
    assert recipients.values("email").get(email="max@example.net") == {"email": "max@example.net"}
    assert not recipients.values_list("sqid", flat=True).filter(first_name="Nobody").exists()
    assert recipients.values("email").count() == len(PEOPLE)


def test_values_use_the_names_a_query_filters_by(
    sandbox: Sandbox, client: NotifiedByClient, people: list[Recipient]
) -> None:
    seed_subscriptions(sandbox)
    rows = Subscription.objects.using(client).filter(status="cancelled").values("recipient", "flow")
    assert list(rows) == [
        {"recipient": "bob@example.com", "flow": "WELCOME_SIGNUP"},
        {"recipient": "carl@example.com", "flow": "WELCOME_SIGNUP"},
    ]


def test_iterator_streams_a_local_filter_page_by_page(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    qs = Recipient.objects.using(client).filter(first_name__istartswith="a")
    api_calls()
    assert emails(qs.iterator(chunk_size=4)) == [r.email for r in people if r.first_name[:1] == "A"]
    assert len(api_calls()) == full_read(mode, chunk=4)
    assert qs._result_cache is None


def test_django_paginator_counts_once_and_reads_one_page(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    api_calls()
    paginator = Paginator(Recipient.objects.using(client).all(), 4)  # no warning: ordered
    page = paginator.page(2)
    assert emails(page) == emails(people[4:8])
    assert (paginator.count, paginator.num_pages, page.has_next()) == (15, 4, True)
    assert page.start_index() == 5
    # The count, then the page: qs[4:8] is page 2 of 4. The server cutting pages of 7 holds
    # items 4 to 7 on its pages 1 and 2, and page 2 asked for shows it.
    assert len(api_calls()) == (2 if mode == "honouring" else 4)
    vips = Paginator(Recipient.objects.using(client).filter(flags__contains="vip"), 2)
    assert emails(vips.page(2)) == ["abe@example.com", "frank@example.org"]
    assert len(api_calls()) == full_read(mode) + (1 if mode == "honouring" else 2)


def test_an_evaluated_queryset_pickles_without_its_client(
    client: NotifiedByClient, people: list[Recipient], sandbox_env: Sandbox, api_calls: Calls
) -> None:
    queryset = Recipient.objects.using(client).filter(last_name="Lee").order_by("first_name")
    data = pickle.dumps(queryset)  # reads the results first, as Django does
    assert sandbox_env.api_key.encode() not in data
    api_calls()
    loaded = pickle.loads(data)  # noqa: S301  # our own bytes
    assert loaded._client is None
    assert emails(loaded) == ["ann@example.com", "ida@example.net", "frank@example.org"]
    assert loaded.count() == 3
    assert api_calls() == []
    assert loaded.filter(first_name="Ida").get() == people[10]  # through the default client
    assert loaded.using(client).exclude(first_name="Ida").count() == 2
    rows = pickle.loads(pickle.dumps(Recipient.objects.using(client).values_list("email")))  # noqa: S301
    assert rows[0] == ("ann@example.com",)
    # Fields travel by name: their checks can be closures, which don't pickle.
    active = Subscription.objects.filter(status="active", flow_name__icontains="x").none()
    assert str(pickle.loads(pickle.dumps(active))._where) == str(active._where)  # noqa: S301


def test_async_twins(client: NotifiedByClient, people: list[Recipient], api_calls: Calls) -> None:
    recipients = Recipient.objects.using(client)

    async def main() -> None:
        assert await recipients.aget(email="max@example.net") == people[-1]
        assert await recipients.filter(flags__contains="vip").acount() == 6
        assert await recipients.aexists()
        assert await recipients.afirst() == people[0]
        assert await recipients.alast() == people[-1]
        assert await recipients.aearliest("first_name") == people[12]
        assert await recipients.alatest("created_at") == people[-1]
        assert list(await recipients.ain_bulk(["bob@example.com"])) == ["bob@example.com"]
        streamed = [r.email async for r in recipients.filter(last_name="Lee").aiterator(2)]
        assert streamed == [r.email for r in people if r.last_name == "Lee"]
        assert [r async for r in recipients.order_by("-first_name")[:1]] == [people[7]]
        created, new = await recipients.aget_or_create(email="new@example.com")
        assert new
        assert created.email == "new@example.com"
        updated, new = await recipients.aupdate_or_create(
            email="new@example.com", defaults={"first_name": "N"}
        )
        assert (updated.first_name, new) == ("N", False)
        assert (await recipients.acreate(email="other@example.com")).sqid
        with pytest.raises(NotifiedByInvalidArgument, match="can't delete Recipient"):
            await recipients.all().adelete()

    asyncio.run(main())


def test_bad_calls_fail_before_any_request(client: NotifiedByClient, api_calls: Calls) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    with pytest.raises(TypeError, match="Cannot reorder a query once a slice has been taken"):
        recipients.all()[:3].order_by("email")
    with pytest.raises(TypeError, match="Cannot reverse a query once a slice has been taken"):
        recipients.all()[:3].reverse()
    with pytest.raises(TypeError, match="Cannot reverse a query once a slice has been taken"):
        recipients.all()[1:].last()
    with pytest.raises(TypeError, match="Cannot filter a query once a slice has been taken"):
        recipients.all()[:3].exclude(email="a@example.com")
    with pytest.raises(NotifiedByInvalidArgument, match="Choices are: created_at, email, first"):
        recipients.order_by("-nickname")
    with pytest.raises(NotifiedByInvalidArgument, match=r"by 'flags', a list\. Choices are"):
        recipients.order_by("flags")
    with pytest.raises(TypeError, match="order_by\\(\\) takes field names, not int"):
        recipients.order_by(1)  # type: ignore[arg-type]
    with pytest.raises(NotifiedByInvalidArgument, match="Cannot resolve 'nickname'"):
        recipients.values("email", "nickname")
    with pytest.raises(TypeError, match="'flat' and 'named' can't be used together"):
        recipients.values_list("email", flat=True, named=True)
    with pytest.raises(TypeError, match=r"'flat' is not valid .* more than one field"):
        recipients.values_list("email", "sqid", flat=True)
    with pytest.raises(
        ValueError,
        match=r"must be a unique field but 'first_name' isn't\. Choices are: email, pk, sqid\.",
    ):
        recipients.in_bulk(["Ann"], field_name="first_name")
    with pytest.raises(TypeError, match=r"in_bulk\(\) cannot be used with values"):
        recipients.values("email").in_bulk()
    with pytest.raises(TypeError, match="Cannot use in_bulk\\(\\) on a query once a slice"):
        recipients.all()[:2].in_bulk()
    with pytest.raises(ValueError, match="earliest\\(\\) and latest\\(\\) need field names"):
        recipients.earliest()
    with pytest.raises(TypeError, match="slice instead"):
        recipients.order_by("email").page(1)
    with pytest.raises(ValueError, match="Negative indexing is not supported"):
        recipients.order_by("email")[-1]
    with pytest.raises(ValueError, match="strictly positive"):
        recipients.iterator(chunk_size=-1)
    assert api_calls() == []
