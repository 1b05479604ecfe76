"""``qs.page(n)`` against the sandbox: a Page used like Django's ``Page``."""

from __future__ import annotations

import pytest

from notifiedby import NotifiedByClient, Recipient, Subscription
from notifiedby.exceptions import NotifiedByNotFoundError
from notifiedby.sandbox import Sandbox
from tests.resources.conftest import make_recipients


@pytest.fixture
def emails(client: NotifiedByClient) -> list[str]:
    return make_recipients(client, 5)


def test_a_page_is_a_sequence_of_its_objects(client: NotifiedByClient, emails: list[str]) -> None:
    page = Recipient.objects.using(client).page(2, page_size=2)

    assert page.number == 2
    assert [r.email for r in page] == emails[2:4]
    assert len(page) == 2
    assert page[0].email == emails[2]
    assert page[-1].email == emails[3]
    assert [r.email for r in page[:1]] == emails[2:3]
    assert Recipient(email=emails[3]) in page
    with pytest.raises(IndexError):
        page[2]
    with pytest.raises(TypeError, match="integers or slices"):
        page["a"]  # type: ignore[call-overload]


def test_page_navigation_follows_django(client: NotifiedByClient, emails: list[str]) -> None:
    recipients = Recipient.objects.using(client)
    first, middle, last = (recipients.page(n, page_size=2) for n in (1, 2, 3))

    assert (first.has_previous(), first.has_next(), first.has_other_pages()) == (
        False,
        True,
        True,
    )
    assert (middle.has_previous(), middle.has_next()) == (True, True)
    assert (last.has_previous(), last.has_next()) == (True, False)
    assert [r.email for r in last] == emails[4:]
    assert first.next_page_number() == 2
    assert middle.previous_page_number() == 1
    assert middle.next_page_number() == 3
    assert last.previous_page_number() == 2
    # The number it gives reads the page it names.
    following = recipients.page(first.next_page_number(), page_size=2)
    assert [r.email for r in following] == [r.email for r in middle]


def test_no_page_beyond_the_first_or_last_is_named(
    client: NotifiedByClient, emails: list[str]
) -> None:
    recipients = Recipient.objects.using(client)
    first, last = recipients.page(1, page_size=2), recipients.page(3, page_size=2)

    with pytest.raises(NotifiedByNotFoundError, match="no page before page 1"):
        first.previous_page_number()
    with pytest.raises(NotifiedByNotFoundError, match="no page after page 3"):
        last.next_page_number()
    with pytest.raises(NotifiedByNotFoundError):
        recipients.page(4, page_size=2)  # what next_page_number() spares a request for


def test_a_single_page_has_no_other_pages(client: NotifiedByClient, emails: list[str]) -> None:
    page = Recipient.objects.using(client).page(1)

    assert len(page) == page.count == 5
    assert not page.has_other_pages()


def test_the_envelope_is_kept(client: NotifiedByClient, emails: list[str]) -> None:
    page = Recipient.objects.using(client).page(2, page_size=2)

    assert page.count == 5
    assert page.next is not None
    assert "page=3" in page.next
    assert page.previous is not None
    assert page.results == list(page)
    envelope = page.to_dict()
    assert set(envelope) == {"count", "next", "previous", "results"}
    assert [r["email"] for r in envelope["results"]] == emails[2:4]


def test_a_bare_list_is_one_page(sandbox: Sandbox, client: NotifiedByClient) -> None:
    sandbox.configure(bare_subscription_list=True)
    Recipient.objects.using(client).get(email=make_recipients(client, 1)[0]).subscribe(
        "WELCOME_SIGNUP"
    )

    page = Subscription.objects.using(client).page(1)

    assert page.number == 1
    assert [s.flow_trigger for s in page] == ["WELCOME_SIGNUP"]
    assert not page.has_other_pages()
    with pytest.raises(NotifiedByNotFoundError):
        page.next_page_number()


def test_an_empty_queryset_has_one_empty_page(client: NotifiedByClient) -> None:
    none = Recipient.objects.using(client).none()

    page = none.page(1)

    assert (page.number, len(page), list(page), page.has_other_pages()) == (1, 0, [], False)
    with pytest.raises(NotifiedByNotFoundError):
        none.page(2)
