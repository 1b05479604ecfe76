"""Field lookups and Q objects over real HTTP, against a server that does as asked and one
that ignores filters and page sizes: the same objects either way, and the requests counted.

What the server filters (exact lookups on the fields it knows, never under OR or NOT) is
sent; everything else is checked here while the pages stream.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from notifiedby import Email, Flow, NotifiedByClient, Recipient, Subscription
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


#: (filter arguments, the same test written in plain Python) for one recipient each.
RECIPIENT_LOOKUPS: list[tuple[dict[str, Any], Callable[[Recipient], bool]]] = [
    ({"first_name": "Ann"}, lambda r: r.first_name == "Ann"),
    ({"first_name__exact": "bob"}, lambda r: r.first_name == "bob"),
    ({"first_name__iexact": "BOB"}, lambda r: r.first_name.lower() == "bob"),
    ({"first_name__in": ["Ann", "Dora", "Zed"]}, lambda r: r.first_name in ("Ann", "Dora")),
    ({"first_name__contains": "a"}, lambda r: "a" in r.first_name),
    ({"first_name__icontains": "A"}, lambda r: "a" in r.first_name.lower()),
    ({"first_name__startswith": "A"}, lambda r: r.first_name.startswith("A")),
    ({"first_name__istartswith": "a"}, lambda r: r.first_name.lower().startswith("a")),
    ({"last_name__endswith": "e"}, lambda r: r.last_name.endswith("e")),
    ({"last_name__iendswith": "EE"}, lambda r: r.last_name.lower().endswith("ee")),
    ({"first_name__gt": "H"}, lambda r: r.first_name > "H"),
    ({"first_name__gte": "Hal"}, lambda r: r.first_name >= "Hal"),
    ({"first_name__lt": "C"}, lambda r: r.first_name < "C"),
    ({"first_name__lte": "Carl"}, lambda r: r.first_name <= "Carl"),
    ({"first_name__range": ("B", "E")}, lambda r: "B" <= r.first_name <= "E"),
    ({"sqid__isnull": False}, lambda r: True),
    ({"last_name__isnull": True}, lambda r: False),  # "" is a value, as in Django
    ({"flags__contains": "vip"}, lambda r: "vip" in r.flags),
    ({"flags__contains": ["vip", "beta"]}, lambda r: {"vip", "beta"} <= set(r.flags)),
    ({"flags": ["free", "vip"]}, lambda r: set(r.flags) == {"free", "vip"}),
    ({"flags": []}, lambda r: not r.flags),
    ({"has_been_sent_email": True}, lambda r: r.has_been_sent_email),
    ({"has_been_sent_email__in": [False]}, lambda r: not r.has_been_sent_email),
    ({"email__icontains": "@EXAMPLE.org"}, lambda r: r.email.endswith("@example.org")),
    ({"email__endswith": ".net"}, lambda r: r.email.endswith(".net")),
    (
        {"email__in": ["leo@example.net", "IDA@example.net"]},
        lambda r: r.first_name in ("Leo", "Ida"),
    ),
    ({"pk__in": ["ann@example.com", "max@example.net"]}, lambda r: r.first_name in ("Ann", "Max")),
]


@pytest.mark.parametrize(
    ("lookup", "expected"), RECIPIENT_LOOKUPS, ids=[next(iter(k)) for k, _ in RECIPIENT_LOOKUPS]
)
def test_each_lookup_is_checked_while_streaming(
    client: NotifiedByClient,
    people: list[Recipient],
    mode: str,
    api_calls: Calls,
    lookup: dict[str, Any],
    expected: Callable[[Recipient], bool],
) -> None:
    api_calls()
    found = Recipient.objects.using(client).filter(**lookup)
    assert emails(found) == [r.email for r in people if expected(r)]
    requests = api_calls()
    assert len(requests) == full_read(mode)
    assert all("email" not in r.query for r in requests)  # none of these is sent


def test_lookups_on_dates_compare_aware_datetimes(
    client: NotifiedByClient, people: list[Recipient], mode: str
) -> None:
    recipients = Recipient.objects.using(client)
    middle = people[7].created_at
    assert middle is not None
    later = [r.email for r in people if r.created_at and r.created_at > middle]
    assert emails(recipients.filter(created_at__gt=middle)) == later
    assert emails(recipients.filter(created_at__gte=middle)) == [people[7].email, *later]
    assert emails(recipients.filter(created_at__lt=middle)) == emails(people[:7])
    assert emails(recipients.filter(created_at__lte=middle)) == emails(people[:8])
    in_paris = middle.astimezone(timezone(timedelta(hours=2)))  # the same moment
    assert emails(recipients.filter(created_at=in_paris)) == [people[7].email]
    assert emails(recipients.filter(created_at__in=[in_paris])) == [people[7].email]
    assert emails(recipients.filter(created_at__range=(middle, middle))) == [people[7].email]
    assert emails(recipients.filter(updated_at__isnull=True)) == []


def test_a_naive_datetime_warns_as_django_does(
    client: NotifiedByClient, people: list[Recipient]
) -> None:
    recipients = Recipient.objects.using(client)
    with pytest.warns(RuntimeWarning, match=r"created_at__gt received a naive datetime"):
        since_2000 = recipients.filter(created_at__gt=datetime(2000, 1, 1))
    assert len(since_2000) == len(PEOPLE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an aware one is taken as it is
        recipients.filter(created_at__gt=datetime(2000, 1, 1, tzinfo=timezone.utc))


def test_q_objects_combine_with_and_or_not(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    vip, lee = Q(flags__contains="vip"), Q(last_name="Lee")
    cases: list[tuple[Any, Callable[[Recipient], bool]]] = [
        (recipients.filter(vip & lee), lambda r: "vip" in r.flags and r.last_name == "Lee"),
        (recipients.filter(vip | lee), lambda r: "vip" in r.flags or r.last_name == "Lee"),
        (recipients.filter(~vip), lambda r: "vip" not in r.flags),
        (recipients.filter(vip & ~lee), lambda r: "vip" in r.flags and r.last_name != "Lee"),
        (
            recipients.exclude(vip, last_name="Lee"),
            lambda r: not ("vip" in r.flags and r.last_name == "Lee"),
        ),
        (
            recipients.exclude(vip).exclude(lee),
            lambda r: "vip" not in r.flags and r.last_name != "Lee",
        ),
        (
            recipients.filter(Q(first_name="Ann") | Q(first_name="Leo"), ~lee),
            lambda r: r.first_name == "Leo",
        ),
        (recipients.filter(Q()), lambda r: True),
        (recipients.filter(Q() | vip), lambda r: "vip" in r.flags),
    ]
    api_calls()
    for queryset, expected in cases:
        assert emails(queryset) == [r.email for r in people if expected(r)], queryset._where
    assert len(api_calls()) == len(cases) * full_read(mode)
    assert repr(~vip) == "<Q: (NOT (AND: ('flags__contains', 'vip')))>"
    assert vip & Q() == vip
    # Empty Q objects match everything, so they leave the pages to the server's positions.
    assert not recipients.exclude()._has_local_filters()
    assert not recipients.filter(~Q(), Q() | Q())._has_local_filters()


def test_an_exact_filter_the_api_knows_is_sent(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    for queryset, sent, found in [
        (recipients.filter(email="leo@EXAMPLE.net"), "leo@EXAMPLE.net", "LEO@example.net"),
        (recipients.filter(email__in=["ida@example.net"]), "ida@example.net", "ida@example.net"),
        (recipients.filter(pk="max@example.net"), "max@example.net", "max@example.net"),
    ]:
        api_calls()
        assert emails(queryset) == [found]
        requests = api_calls()
        assert requests[0].query["email"] == [sent]
        # The server filters: one request. It doesn't: page 1 shows it, then every page.
        assert len(requests) == (1 if mode == "honouring" else 1 + full_read(mode))


def test_with_a_local_filter_the_sent_one_still_narrows_the_pages(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    api_calls()
    found = Recipient.objects.using(client).filter(email="ida@example.net", last_name="Lee")
    assert emails(found) == ["ida@example.net"]
    requests = api_calls()
    assert requests[0].query["email"] == ["ida@example.net"]
    assert len(requests) == (1 if mode == "honouring" else full_read(mode))


@pytest.mark.parametrize(
    "queryset",
    [
        lambda r: r.filter(Q(email="ida@example.net") | Q(email="max@example.net")),
        lambda r: r.exclude(email="ida@example.net"),
        lambda r: r.filter(email__iexact="ida@example.net"),
        lambda r: r.filter(email__in=["ida@example.net", "max@example.net"]),
    ],
    ids=["or", "not", "iexact", "in"],
)
def test_no_filter_is_sent_under_or_or_not_nor_for_other_lookups(
    client: NotifiedByClient,
    people: list[Recipient],
    mode: str,
    api_calls: Calls,
    queryset: Callable[[Any], Any],
) -> None:
    api_calls()
    found = queryset(Recipient.objects.using(client))
    assert all(r.email for r in found)
    requests = api_calls()
    assert all("email" not in r.query for r in requests)
    assert len(requests) == full_read(mode)


def test_subscriptions_filter_by_recipient_and_flow_as_relations(
    sandbox: Sandbox, client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    subscriptions = seed_subscriptions(sandbox)
    manager = Subscription.objects.using(client)
    ann, welcome = people[0], Flow.objects.get(trigger="WELCOME_SIGNUP")
    expected = [s.id for s in subscriptions if s.recipient_email == ann.email]
    api_calls()
    for queryset in (
        manager.filter(recipient=ann),
        manager.filter(recipient="ANN@example.com"),
        manager.filter(email=ann),
        manager.filter(recipient_email=ann.email),
    ):
        assert [s.id for s in queryset] == expected
    both = manager.filter(recipient=ann, flow=welcome)
    assert [(s.recipient_email, s.flow_trigger) for s in both] == [(ann.email, "WELCOME_SIGNUP")]
    requests = api_calls()
    assert requests[0].query["email"] == ["ann@example.com"]
    assert requests[-1].query["flow_trigger"] == ["WELCOME_SIGNUP"]
    each = 1 if mode == "honouring" else 1 + full_read(mode, len(subscriptions))
    assert len(requests) == 5 * each
    pair = manager.filter(recipient__in=[people[3], "abe@example.com"], flow="PREMIUM_ONBOARDING")
    assert [s.recipient_email for s in pair] == ["carl@example.com"]
    assert manager.filter(recipient=ann, recipient_email="bob@example.com").count() == 0


def test_subscription_fields_take_their_lookups(
    sandbox: Sandbox, client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    subscriptions = seed_subscriptions(sandbox)
    manager = Subscription.objects.using(client)
    cases: list[tuple[Any, Callable[[Subscription], bool]]] = [
        (manager.filter(status__in=["cancelled", "completed"]), lambda s: s.status != "active"),
        (manager.filter(next_send_date__isnull=True), lambda s: s.next_send_date is None),
        (
            manager.filter(flow_name__icontains="premium"),
            lambda s: "Premium" in (s.flow_name or ""),
        ),
        (manager.filter(current_step_order__gte=1, id__gt=3), lambda s: s.id > 3),
        (
            manager.exclude(flow=Flow.objects.get(trigger="WELCOME_SIGNUP")),
            lambda s: s.flow_trigger != "WELCOME_SIGNUP",
        ),
    ]
    api_calls()
    for queryset, expected in cases:
        assert [s.id for s in queryset] == [s.id for s in subscriptions if expected(s)]
    assert len(api_calls()) == len(cases) * full_read(mode, len(subscriptions))


def test_emails_filter_by_recipient_on_the_server_and_by_subject_here(
    client: NotifiedByClient, mode: str, api_calls: Calls
) -> None:
    for n, to in enumerate(["a@example.com", "b@example.com", "a@example.com"]):
        Email.objects.using(client).send(recipient=to, subject=f"Report {n}", body="<p>x</p>")
    api_calls()
    to_a = Email.objects.using(client).filter(recipient="A@example.com")
    assert [e.subject for e in to_a] == ["Report 2", "Report 0"]  # newest first
    assert [e.subject for e in to_a.filter(subject__iendswith="0")] == ["Report 0"]
    requests = api_calls()
    assert [r.query.get("recipient") for r in requests] == [["A@example.com"]] * len(requests)
    when = Email.objects.using(client).filter(subject="Report 1").get().created_on
    assert when is not None
    assert Email.objects.using(client).filter(created_on__lt=when).count() == 1
    assert Email.objects.using(client).latest("created_on").subject == "Report 2"
    assert Email.objects.using(client).earliest("created_on").subject == "Report 0"


def test_contradicting_or_empty_filters_make_no_request(
    client: NotifiedByClient, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    assert list(recipients.filter(first_name="A").filter(first_name="B")) == []
    assert recipients.filter(email__in=[]).count() == 0
    assert recipients.filter(pk="a@example.com", email="b@example.com").first() is None
    assert api_calls() == []


@pytest.mark.parametrize(
    ("lookup", "message"),
    [
        (
            {"flags__gt": "a"},
            r"Unsupported lookup 'gt' for Recipient.flags \(list\)\. "
            r"Choices are: exact, contains, isnull\.",
        ),
        (
            {"nickname": "a"},
            r"Cannot resolve 'nickname' into a Recipient field\. "
            r"Choices are: created_at, email, first_name, flags, has_been_sent_email, last_name, "
            r"pk, sqid, updated_at\.",
        ),
        ({"first_name__like": "a"}, r"Unsupported lookup 'like' .* Choices are: exact, iexact"),
        ({"has_been_sent_email__contains": True}, r"Choices are: exact, in, isnull\."),
        ({"created_at__startswith": "2026"}, r"Choices are: exact, in, gt, gte, lt, lte"),
        ({"first_name__in": "Ann"}, r"first_name__in: expected a list of values, got str\."),
        ({"first_name__range": ("A",)}, r"expected two bounds \(low, high\), got 1\."),
        ({"first_name__isnull": "yes"}, r"must be True or False\."),
        ({"first_name__gt": 3}, r"first_name__gt: expected a string, got int\."),
        ({"created_at__gt": "2026-01-01"}, r"expected a datetime, got str\."),
        ({"email": "not-an-address"}, r"email: 'not-an-address' is not a valid email address\."),
        ({"flags__contains": ["a,b"]}, r"not a valid flag name"),
    ],
)
def test_bad_lookups_fail_before_any_request(
    client: NotifiedByClient, api_calls: Calls, lookup: dict[str, Any], message: str
) -> None:
    api_calls()
    with pytest.raises(NotifiedByInvalidArgument, match=message):
        Recipient.objects.using(client).filter(**lookup)
    with pytest.raises(NotifiedByInvalidArgument, match=message):
        Recipient.objects.using(client).exclude(Q(**lookup))
    assert api_calls() == []


def test_positional_filters_must_be_q_objects() -> None:
    with pytest.raises(TypeError, match="must be Q objects, not dict"):
        Recipient.objects.filter({"email": "a@example.com"})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Q(email="a@example.com") & {"email": "b@example.com"}


def test_the_server_count_is_one_request_and_a_local_count_reads_every_page(
    client: NotifiedByClient, people: list[Recipient], mode: str, api_calls: Calls
) -> None:
    recipients = Recipient.objects.using(client)
    api_calls()
    assert recipients.count() == len(PEOPLE)
    assert len(api_calls()) == 1  # the envelope's count
    vips = sum("vip" in r.flags for r in people)
    assert recipients.filter(flags__contains="vip").count() == vips
    assert len(api_calls()) == full_read(mode)
    assert recipients.filter(flags__contains="vip")[2:].count() == vips - 2
    assert len(api_calls()) == full_read(mode)
    assert math.ceil(len(PEOPLE) / 7) == 3  # what the ignoring mode's figures rest on
