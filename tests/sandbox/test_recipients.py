"""Recipients: upsert, list with the email filter, flags set and clear."""

from __future__ import annotations

import pytest

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

RECIPIENTS = "/v1/recipients/"
FLAGS_SET = "/v1/recipients/flags/set/"
FLAGS_CLEAR = "/v1/recipients/flags/clear/"


def test_create_then_update(api: Api) -> None:
    created = api.post(
        RECIPIENTS,
        json={"email": "ann@example.com", "first_name": "Ann", "last_name": "Lee", "flags": ["a"]},
    )
    updated = api.post(
        RECIPIENTS,
        json={"email": "ANN@example.com", "first_name": "Annie", "flags": ["b"]},
    )

    assert created.status_code == 201
    assert updated.status_code == 200
    first, second = created.json(), updated.json()
    assert first["email"] == "ann@example.com"
    assert (first["first_name"], first["last_name"]) == ("Ann", "Lee")
    assert first["flags"] == ["a"]
    assert first["has_been_sent_email"] is False
    assert second["sqid"] == first["sqid"]
    assert second["first_name"] == "Annie"
    assert second["last_name"] == "Lee"
    assert sorted(second["flags"]) == ["a", "b"]
    assert second["created_at"] == first["created_at"]
    assert api.get(RECIPIENTS).json()["count"] == 1


def test_empty_string_clears_a_name(api: Api) -> None:
    api.upsert("ann@example.com", first_name="Ann", last_name="Lee")

    recipient = api.upsert("ann@example.com", first_name="")

    assert recipient["first_name"] == ""
    assert recipient["last_name"] == "Lee"


def test_flags_as_a_comma_string(api: Api) -> None:
    recipient = api.upsert("ann@example.com", flags="x,y")

    assert sorted(recipient["flags"]) == ["x", "y"]


def test_upsert_missing_email(api: Api) -> None:
    response = api.post(RECIPIENTS, json={"first_name": "Ann"})

    assert response.status_code == 400
    assert isinstance(response.json()["email"], list)


@pytest.mark.parametrize("email", ["nope", "a@", "", 42, ["a@b.co"], None])
def test_upsert_bad_email(api: Api, sandbox: Sandbox, email: object) -> None:
    response = api.post(RECIPIENTS, json={"email": email})

    assert response.status_code == 400
    assert "email" in response.json()
    assert sandbox.recipients == []


@pytest.mark.parametrize("flags", [5, {"a": 1}, [1, 2], True])
def test_upsert_bad_flags(api: Api, sandbox: Sandbox, flags: object) -> None:
    response = api.post(RECIPIENTS, json={"email": "ann@example.com", "flags": flags})

    assert response.status_code == 400
    assert "flags" in response.json()
    assert sandbox.recipients == []


def test_list_email_filter_is_exact_and_case_insensitive(api: Api) -> None:
    api.upsert("ann@example.com")
    api.upsert("anna@example.com")
    api.upsert("bob@example.com")

    page = api.get(RECIPIENTS, params={"email": "ANN@Example.com"}).json()
    nothing = api.get(RECIPIENTS, params={"email": "nobody@example.com"}).json()

    assert page["count"] == 1
    assert [r["email"] for r in page["results"]] == ["ann@example.com"]
    assert nothing == {"count": 0, "next": None, "previous": None, "results": []}


def test_flags_set(api: Api) -> None:
    api.upsert("a@b.co", flags=["old"])

    response = api.post(FLAGS_SET, json={"email": "a@b.co", "flags": ["premium"]})

    assert response.status_code == 200
    assert response.json() == {"message": "Flags ['premium'] set for recipient \"a@b.co\"."}
    [recipient] = api.get(RECIPIENTS).json()["results"]
    assert sorted(recipient["flags"]) == ["old", "premium"]


def test_flags_clear(api: Api) -> None:
    api.upsert("a@b.co", flags=["keep", "drop", "Drop"])

    response = api.post(FLAGS_CLEAR, json={"email": "A@b.co", "flags": ["drop"]})

    assert response.status_code == 200
    assert set(response.json()) == {"message"}
    [recipient] = api.get(RECIPIENTS).json()["results"]
    assert sorted(recipient["flags"]) == ["Drop", "keep"]


@pytest.mark.parametrize("path", [FLAGS_SET, FLAGS_CLEAR])
def test_flags_on_an_unknown_recipient(api: Api, sandbox: Sandbox, path: str) -> None:
    response = api.post(path, json={"email": "nobody@b.co", "flags": ["x"]})

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert sandbox.recipients == []


@pytest.mark.parametrize("path", [FLAGS_SET, FLAGS_CLEAR])
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "a@b.co"}, "flags"),
        ({"flags": ["x"]}, "email"),
        ({"email": "a@b.co", "flags": 3}, "flags"),
        ({"email": "not-an-email", "flags": ["x"]}, "email"),
    ],
)
def test_flags_bad_input(api: Api, path: str, payload: dict[str, object], field: str) -> None:
    api.upsert("a@b.co")

    response = api.post(path, json=payload)

    assert response.status_code == 400
    assert field in response.json()
