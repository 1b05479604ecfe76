"""Property tests: querysets behave like Python lists, and any text reaches the API intact."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from notifiedby import Email, NotifiedByClient, Recipient
from notifiedby.exceptions import NotifiedByError
from notifiedby.sandbox import Sandbox
from tests.reliability.conftest import BOUNDED

#: Few enough recipients that every page size, slice and boundary gets exercised.
RECIPIENTS = 11
bounds = st.none() | st.integers(0, RECIPIENTS + 3)
slices = st.builds(slice, bounds, bounds)


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[NotifiedByClient]:
    with NotifiedByClient(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0) as c:
        yield c


@pytest.fixture
def addresses(client: NotifiedByClient) -> list[str]:
    """The recipients, in the order the API lists them (read in one page, not by the SDK)."""
    for i in range(RECIPIENTS):
        client.post("/recipients/", json={"email": f"p{i:02d}@example.com"})
    page = client.get("/recipients/", params={"page_size": 500})
    return [row["email"] for row in page["results"]]


def emails(items: object) -> list[str]:
    return [recipient.email for recipient in items]  # type: ignore[attr-defined]


@BOUNDED
@given(
    page_size=st.integers(1, RECIPIENTS + 2),
    ignore_page_size=st.booleans(),
    outer=slices,
    inner=slices,
    index=st.integers(0, RECIPIENTS + 2),
    chunk_size=st.none() | st.integers(1, 6),
)
def test_slicing_and_iteration_agree_with_a_list(
    sandbox: Sandbox,
    client: NotifiedByClient,
    addresses: list[str],
    page_size: int,
    ignore_page_size: bool,
    outer: slice,
    inner: slice,
    index: int,
    chunk_size: int | None,
) -> None:
    sandbox.configure(page_size=page_size, ignore_page_size=ignore_page_size)
    qs = Recipient.objects.using(client).all()
    assert emails(qs[outer]) == addresses[outer]
    assert emails(qs[outer][inner]) == addresses[outer][inner]
    assert len(qs[outer]) == len(addresses[outer])
    assert emails(qs[outer].iterator(chunk_size)) == addresses[outer]
    assert emails(qs.iterator(chunk_size)) == addresses
    if index < len(addresses):
        assert qs[index].email == addresses[index]
    else:
        with pytest.raises(IndexError):
            qs[index]
    cached = Recipient.objects.using(client).all()
    assert emails(cached) == addresses
    assert emails(cached[outer][inner]) == addresses[outer][inner]
    assert qs.count() == len(addresses)


#: Any text, with the characters that break encodings drawn often: quotes, backslashes,
#: line ends, NUL, a lone surrogate, form escapes and the comma that separates flags.
awkward = st.sampled_from(['"', "\\", "\r", "\n", "\x00", "\ud800", ",", "é", "😀", "%"])
plain = st.text(st.characters(exclude_categories=()), min_size=1, max_size=6)
piece = st.one_of(plain, plain, plain, awkward, st.sampled_from(["%22", "%0A"]))
texts = st.lists(piece, max_size=6).map("".join)
names = st.lists(piece, min_size=1, max_size=6).map("".join)


@BOUNDED
@given(
    subject=texts,
    body=texts,
    first_name=texts,
    flag=names,
    filename=names,
    attach=st.booleans(),
)
def test_any_text_arrives_intact_or_raises_a_notifiedby_error(
    sandbox: Sandbox,
    client: NotifiedByClient,
    subject: str,
    body: str,
    first_name: str,
    flag: str,
    filename: str,
    attach: bool,
) -> None:
    before = len(sandbox.emails)
    attachments = [(filename, b"\x00bytes\xff", "application/octet-stream")] if attach else None
    try:
        sent = Email.objects.using(client).send(
            recipient="unicode@example.com",
            subject=subject,
            body=body,
            first_name=first_name,
            flags=[flag],
            attachments=attachments,
        )
    except NotifiedByError as exc:
        event(f"refused: {type(exc).__name__}")
        assert len(sandbox.emails) == before, "a refused send must not be stored"
        return
    event("arrived")
    stored = sandbox.emails[-1]
    assert stored.id == sent.id
    assert (stored.subject, stored.body, stored.first_name) == (subject, body, first_name)
    assert stored.flags == (flag,)
    if attach:
        assert [(a.filename, a.content) for a in stored.attachments] == [
            (filename, b"\x00bytes\xff")
        ]
