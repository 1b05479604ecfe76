"""Page-number pagination on every list: page, page_size, next/previous links, count."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

INVALID_PAGE = {"detail": "Invalid page."}


def _fill(api: Api, path: str, n: int) -> None:
    for i in range(n):
        if path == "/v1/recipients/":
            api.upsert(f"r{i:03d}@example.com")
        elif path == "/v1/email/list/":
            api.send(f"r{i:03d}@example.com", subject=f"s{i}")
        else:
            api.subscribe(f"r{i:03d}@example.com")


def _follow(api: Api, url: str) -> dict[str, Any]:
    assert url.startswith(api.url + "/v1/"), url
    response = api.session.get(url, timeout=10)
    assert response.status_code == 200
    page: dict[str, Any] = response.json()
    return page


@pytest.mark.parametrize("path", ["/v1/recipients/", "/v1/email/list/", "/v1/flows/subscriptions/"])
def test_walk_pages_by_links(api: Api, path: str) -> None:
    _fill(api, path, 5)

    first = api.get(path, params={"page_size": 2}).json()
    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["previous"] is None
    second = _follow(api, first["next"])
    third = _follow(api, second["next"])

    assert second["count"] == third["count"] == 5
    assert isinstance(second["previous"], str)
    assert third["next"] is None
    assert len(third["results"]) == 1
    assert _follow(api, third["previous"]) == second
    assert _follow(api, second["previous"]) == first
    seen = [repr(item) for page in (first, second, third) for item in page["results"]]
    assert len(set(seen)) == 5


def test_links_keep_the_filter_and_page_size(api: Api) -> None:
    for i in range(3):
        api.send("ann@example.com", subject=f"s{i}")
    api.send("bob@example.com")

    first = api.get("/v1/email/list/", params={"recipient": "ann@example.com", "page_size": 1})

    query = parse_qs(urlsplit(first.json()["next"]).query)
    assert query["page"] == ["2"]
    assert query["page_size"] == ["1"]
    assert query["recipient"] == ["ann@example.com"]
    assert first.json()["count"] == 3


def test_page_parameter(api: Api) -> None:
    _fill(api, "/v1/recipients/", 5)

    page = api.get("/v1/recipients/", params={"page": 2, "page_size": 2}).json()

    assert [r["email"] for r in page["results"]] == [
        r["email"]
        for r in api.get("/v1/recipients/", params={"page_size": 5}).json()["results"][2:4]
    ]


def test_page_one_of_an_empty_list_is_fine(api: Api) -> None:
    response = api.get("/v1/recipients/", params={"page": 1})

    assert response.status_code == 200
    assert response.json()["count"] == 0


@pytest.mark.parametrize("path", ["/v1/recipients/", "/v1/email/list/", "/v1/flows/subscriptions/"])
@pytest.mark.parametrize("page", ["4", "99", "0", "-1", "abc"])
def test_page_out_of_range(api: Api, path: str, page: str) -> None:
    _fill(api, path, 5)

    response = api.get(path, params={"page": page, "page_size": 2})

    assert response.status_code == 404
    assert response.json() == INVALID_PAGE


def test_page_past_an_empty_list(api: Api) -> None:
    response = api.get("/v1/recipients/", params={"page": 2})

    assert response.status_code == 404
    assert response.json() == INVALID_PAGE


def test_default_and_maximum_page_size(api: Api) -> None:
    _fill(api, "/v1/recipients/", 501)

    default = api.get("/v1/recipients/").json()
    exact = api.get("/v1/recipients/", params={"page_size": 500}).json()
    capped = api.get("/v1/recipients/", params={"page_size": 1000}).json()

    assert default["count"] == 501
    assert len(default["results"]) == 50
    assert len(exact["results"]) == 500
    assert len(capped["results"]) == 500
    assert capped["next"] is not None
    assert len(_follow(api, capped["next"])["results"]) == 1


@pytest.mark.parametrize("size", ["0", "-3", "abc"])
def test_unusable_page_size_is_not_a_server_error(api: Api, size: str) -> None:
    _fill(api, "/v1/recipients/", 2)

    response = api.get("/v1/recipients/", params={"page_size": size})

    # Not specified beyond "honoured up to 500": either fall back to the default or refuse it.
    assert response.status_code in (200, 400)


def test_ignore_page_size_option(api: Api, sandbox: Sandbox) -> None:
    _fill(api, "/v1/recipients/", 5)
    sandbox.configure(ignore_page_size=True, page_size=3)

    first = api.get("/v1/recipients/", params={"page_size": 1}).json()

    assert len(first["results"]) == 3
    assert first["count"] == 5
    assert len(_follow(api, first["next"])["results"]) == 2
