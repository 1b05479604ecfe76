"""QuerySet semantics and what each operation costs, counted on the sandbox's request log.

Each behaviour is also checked against the ways a real server may differ (contract sections
3 and 4): one that ignores page_size, one that ignores list filters, and one that answers the
subscription list as a bare array.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from notifiedby import NotifiedByClient, Recipient, Subscription
from notifiedby.exceptions import (
    MultipleObjectsReturned,
    NotifiedByValidationError,
    ObjectDoesNotExist,
)
from notifiedby.query import DEFAULT_PAGE_SIZE, MAX_GET_RESULTS, REPR_OUTPUT_SIZE
from notifiedby.sandbox import RecordedRequest, Sandbox
from tests.resources.conftest import make_recipients

Calls = Callable[[], list[RecordedRequest]]


@pytest.fixture
def emails(client: NotifiedByClient) -> list[str]:
    return make_recipients(client, 23)


def test_building_a_queryset_makes_no_request(
    client: NotifiedByClient, emails: list[str], api_calls: Calls
) -> None:
    api_calls()
    qs = Recipient.objects.using(client).all().filter(email=emails[0])[:5]
    qs.filter  # noqa: B018
    Recipient.objects.using(client).none()
    assert api_calls() == []


def test_full_iteration_reads_each_page_once_then_caches(
    client: NotifiedByClient, emails: list[str], api_calls: Calls
) -> None:
    api_calls()
    qs = Recipient.objects.using(client).all()
    assert [r.email for r in qs] == emails
    requests = api_calls()
    assert len(requests) == math.ceil(len(emails) / DEFAULT_PAGE_SIZE)
    assert requests[0].query["page_size"] == [str(DEFAULT_PAGE_SIZE)]
    assert list(qs) == list(qs)
    assert len(qs) == len(emails)
    assert bool(qs)
    assert qs.count() == len(emails)
    assert qs.exists()
    assert qs.first() == Recipient(email=emails[0])
    assert qs[3].email == emails[3]
    assert [r.email for r in qs[2:4]] == emails[2:4]
    assert api_calls() == []  # everything above came from the cache


@pytest.mark.parametrize("page_size", [7, 10])
def test_page_count_follows_the_servers_page_size(
    sandbox: Sandbox,
    client: NotifiedByClient,
    emails: list[str],
    api_calls: Calls,
    page_size: int,
) -> None:
    sandbox.configure(ignore_page_size=True, page_size=page_size)
    api_calls()
    assert [r.email for r in Recipient.objects.using(client).all()] == emails
    assert len(api_calls()) == math.ceil(len(emails) / page_size)
    assert [r.email for r in Recipient.objects.using(client).iterator(chunk_size=5)] == emails
    assert len(api_calls()) == math.ceil(len(emails) / page_size)


def test_iterator_streams_without_caching(
    client: NotifiedByClient, emails: list[str], api_calls: Calls
) -> None:
    qs = Recipient.objects.using(client).all()
    api_calls()
    assert [r.email for r in qs.iterator(chunk_size=10)] == emails
    assert len(api_calls()) == 3
    assert qs._result_cache is None
    with pytest.raises(ValueError, match="strictly positive"):
        qs.iterator(chunk_size=0)


@pytest.mark.parametrize("options", [{}, {"ignore_page_size": True, "page_size": 7}])
def test_shortcuts_cost_one_request_each(
    sandbox: Sandbox,
    client: NotifiedByClient,
    emails: list[str],
    api_calls: Calls,
    options: dict[str, object],
) -> None:
    sandbox.configure(**options)
    qs = Recipient.objects.using(client).all()
    api_calls()
    assert qs.count() == 23
    assert qs.exists()
    first = qs.first()
    assert first is not None
    assert first.email == emails[0]
    assert [r.email for r in qs[:5]] == emails[:5]
    assert len(api_calls()) == 4
    assert qs[4].email == emails[4]
    # qs[4] asks for page 5 of size 1; a server with its own page size has no page 5, so
    # reading page 1 shows where item 4 is (and it's there).
    assert len(api_calls()) == (2 if options else 1)
    assert Recipient.objects.using(client).get(email=emails[7]).email == emails[7]
    assert len(api_calls()) == 1


def test_slices_read_the_fewest_pages(
    client: NotifiedByClient, emails: list[str], api_calls: Calls
) -> None:
    qs = Recipient.objects.using(client).all()
    api_calls()
    assert [r.email for r in qs[10:15]] == emails[10:15]
    (request,) = api_calls()
    assert request.query["page_size"] == ["5"]
    assert request.query["page"] == ["3"]
    assert [r.email for r in qs[3:9]] == emails[3:9]
    assert len(api_calls()) == 1
    assert [r.email for r in qs[20:40]] == emails[20:]
    assert len(api_calls()) == 1
    assert list(qs[30:]) == []
    assert list(qs[5:5]) == []
    assert len(api_calls()) == 1  # [30:] asks for a page past the end; [5:5] asks nothing
    assert [r.email for r in qs[2:][1:3]] == emails[3:5]  # slices compose


def test_slices_when_the_server_ignores_page_size(
    sandbox: Sandbox, client: NotifiedByClient, emails: list[str], api_calls: Calls
) -> None:
    sandbox.configure(ignore_page_size=True, page_size=7)
    qs = Recipient.objects.using(client).all()
    api_calls()
    assert [r.email for r in qs[10:15]] == emails[10:15]
    assert len(api_calls()) <= 3
    assert [r.email for r in qs[:10]] == emails[:10]
    assert len(api_calls()) == 2
    assert [r.email for r in qs[15:]] == emails[15:]
    assert [r.email for r in qs[21:23]] == emails[21:]
    with pytest.raises(IndexError):
        qs[23]


def test_filters_are_sent_and_rechecked(
    sandbox: Sandbox, client: NotifiedByClient, emails: list[str], api_calls: Calls
) -> None:
    qs = Recipient.objects.using(client).filter(email=emails[5].upper())
    api_calls()
    assert [r.email for r in qs] == [emails[5]]
    (request,) = api_calls()
    assert request.query["email"] == [emails[5].upper()]


@pytest.mark.parametrize("page_size", [50, 4])
def test_a_server_that_ignores_filters_never_leaks_other_objects(
    sandbox: Sandbox, client: NotifiedByClient, emails: list[str], page_size: int
) -> None:
    sandbox.configure(ignore_filters=True, ignore_page_size=True, page_size=page_size)
    target = emails[9]
    qs = Recipient.objects.using(client).filter(email=target)
    assert [r.email for r in qs] == [target]
    assert qs.count() == 1
    fresh = Recipient.objects.using(client).filter(email=target)
    assert fresh.count() == 1
    assert fresh.exists()
    first = fresh.first()
    assert first is not None
    assert first.email == target
    assert [r.email for r in fresh[:3]] == [target]
    assert Recipient.objects.using(client).get(email=target).email == target
    missing = Recipient.objects.using(client).filter(email="nobody@example.com")
    assert missing.count() == 0
    assert not missing.exists()
    with pytest.raises(Recipient.DoesNotExist):
        missing.get()


def test_get_raises_the_models_own_exceptions(
    client: NotifiedByClient, emails: list[str], api_calls: Calls
) -> None:
    api_calls()
    with pytest.raises(Recipient.DoesNotExist, match="Recipient matching query does not exist"):
        Recipient.objects.using(client).get(email="nobody@example.com")
    with pytest.raises(Recipient.MultipleObjectsReturned, match="it returned more than 20!"):
        Recipient.objects.using(client).get()
    requests = api_calls()
    assert len(requests) == 2
    assert requests[1].query["page_size"] == [str(MAX_GET_RESULTS)]
    with pytest.raises(MultipleObjectsReturned, match="it returned 3!"):
        Recipient.objects.using(client).all()[:3].get()
    assert issubclass(Recipient.DoesNotExist, ObjectDoesNotExist)
    assert not issubclass(Recipient.DoesNotExist, Subscription.DoesNotExist)


def test_repr_shows_at_most_twenty(client: NotifiedByClient, emails: list[str]) -> None:
    text = repr(Recipient.objects.using(client).all())
    assert text.startswith("<RecipientQuerySet [<Recipient: user000@example.com>,")
    assert text.endswith("'...(remaining elements truncated)...']>")
    assert text.count("<Recipient:") == REPR_OUTPUT_SIZE
    assert repr(Recipient.objects.using(client).none()) == "<RecipientQuerySet []>"


def test_bad_arguments_fail_before_any_request(client: NotifiedByClient, api_calls: Calls) -> None:
    qs = Recipient.objects.using(client).all()
    api_calls()
    with pytest.raises(ValueError, match=r"Negative indexing is not supported\."):
        qs[-1]
    with pytest.raises(ValueError, match=r"Negative indexing is not supported\."):
        qs[:-2]
    with pytest.raises(TypeError, match="not str"):
        qs["a"]  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="step"):
        qs[::2]
    with pytest.raises(NotifiedByValidationError, match="Choices are: created_at, email,") as info:
        qs.filter(name="x")
    assert info.value.status_code is None
    with pytest.raises(NotifiedByValidationError, match="email: 'not-an-email'"):
        qs.filter(email="not-an-email")
    with pytest.raises(TypeError, match="slice has been taken"):
        qs[:3].filter(email="a@example.com")
    with pytest.raises(NotifiedByValidationError, match="status"):
        Subscription.objects.using(client).filter(status="paused")
    assert api_calls() == []


def test_none_and_contradicting_filters_make_no_request(
    client: NotifiedByClient, api_calls: Calls
) -> None:
    api_calls()
    assert list(Recipient.objects.using(client).none()) == []
    both = (
        Recipient.objects.using(client).filter(email="a@example.com").filter(email="b@example.com")
    )
    assert both.count() == 0
    assert not both.exists()
    same = (
        Recipient.objects.using(client).filter(email="a@example.com").filter(email="A@example.com")
    )
    assert not same._empty
    assert api_calls() == []


def test_querysets_are_immutable_and_reusable(client: NotifiedByClient, emails: list[str]) -> None:
    base = Recipient.objects.using(client).all()
    narrowed = base.filter(email=emails[1])
    assert not base._where.children
    assert len(narrowed) == 1
    assert narrowed.all()._result_cache is None  # clones never copy the cache
    assert len(base) == 23


def test_using_routes_to_another_client(
    sandbox: Sandbox, client: NotifiedByClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", "not-the-sandbox-key")
    monkeypatch.setenv("NOTIFIEDBY_BASE_URL", sandbox.url)
    Recipient.objects.using(client).create(email="tenant@example.com")
    assert [r.email for r in Recipient.objects.using(client).all()] == ["tenant@example.com"]
    found = Recipient.objects.all().using(client).get(email="tenant@example.com")
    assert found._client is client  # objects remember the client they came from


def test_a_query_that_needs_no_request_needs_no_settings() -> None:
    # No API key anywhere: fine until a request is really needed.
    qs = Recipient.objects.none()
    assert qs.count() == 0
    assert list(qs) == []
    assert not qs.exists()
