"""The API key on every endpoint, and the served OpenAPI document."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from notifiedby.sandbox import Sandbox
from tests.sandbox._openapi import document, find_operation, validate
from tests.sandbox.conftest import Api


def _documented_operations() -> list[tuple[str, str]]:
    out = []
    for template, item in document()["paths"].items():
        for method, operation in item.items():
            if operation.get("security", document()["security"]):
                out.append((method.upper(), template.replace("{id}", "ABC")))
    return out


OPERATIONS = _documented_operations()


def test_every_contract_endpoint_is_documented() -> None:
    expected = {
        ("POST", "/v1/email/send/"),
        ("GET", "/v1/email/list/"),
        ("GET", "/v1/email/detail/ABC/"),
        ("GET", "/v1/email/detail/"),
        ("GET", "/v1/email/delivery/ABC/"),
        ("GET", "/v1/email/delivery/"),
        ("POST", "/v1/flows/subscribe/"),
        ("POST", "/v1/flows/unsubscribe/"),
        ("GET", "/v1/flows/subscriptions/"),
        ("DELETE", "/v1/flows/subscriptions/"),
        ("POST", "/v1/recipients/"),
        ("GET", "/v1/recipients/"),
        ("POST", "/v1/recipients/flags/set/"),
        ("POST", "/v1/recipients/flags/clear/"),
    }

    assert set(OPERATIONS) == expected


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_missing_key_is_401(anon: Api, sandbox: Sandbox, method: str, path: str) -> None:
    response = anon.request(method, path, json={"email": "a@b.co"})

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    assert sandbox.recipients == []


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_wrong_key_is_401(anon: Api, method: str, path: str) -> None:
    response = anon.request(method, path, headers={"Authorization": "Api-Key wrong"}, json={})

    assert response.status_code == 401
    assert set(response.json()) == {"detail"}


def test_missing_key_message(anon: Api) -> None:
    response = anon.get("/v1/recipients/")

    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_auth_is_checked_before_the_body(anon: Api) -> None:
    response = anon.post("/v1/email/send/", data=b"{not json", headers={"Content-Type": "x/y"})

    assert response.status_code == 401


def test_several_api_keys() -> None:
    with Sandbox(api_keys=["one", "two"]) as sb:
        for key, status in (("one", 200), ("two", 200), ("three", 401)):
            client = Api(sb.url, key)
            assert client.get("/v1/recipients/").status_code == status
            client.close()


def test_a_generated_key_is_printed_and_accepted(sandbox: Sandbox) -> None:
    assert sandbox.api_key
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert not sandbox.url.endswith("/")


def test_openapi_is_served_unauthenticated(anon: Api) -> None:
    response = anon.get("/v1/openapi.json")

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    packaged = resources.files("notifiedby.sandbox").joinpath("openapi.json").read_text("utf-8")
    assert response.json() == json.loads(packaged)


def test_openapi_basics() -> None:
    doc = document()

    assert doc["openapi"].startswith("3.1.")
    assert doc["servers"] == [{"url": "https://api.notifiedby.com"}]
    scheme = doc["components"]["securitySchemes"]["Api-Key"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    for template, item in doc["paths"].items():
        assert template.startswith("/v1/")
        for method, operation in item.items():
            names = {_param_name(p) for p in operation.get("parameters", [])}
            if method == "post":
                assert "Idempotency-Key" in names, template
            if "{id}" in template:
                assert "id" in names, template


def _param_name(parameter: dict[str, Any]) -> str:
    if "$ref" in parameter:
        parameter = document()["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
    name: str = parameter["name"]
    return name


def test_path_matching() -> None:
    assert find_operation("/v1/email/detail/") is not None
    detail = find_operation("/v1/email/detail/..%2Fx/")
    assert detail is not None
    assert detail.template == "/v1/email/detail/{id}/"
    assert find_operation("/v1/email/detail/a/b/") is None
    assert find_operation("/v1/recipients") is None


def test_the_validator_catches_wrong_shapes() -> None:
    recipient = {"$ref": "#/components/schemas/Recipient"}
    good = {
        "sqid": "abc",
        "email": "a@b.co",
        "first_name": "",
        "last_name": "",
        "flags": [],
        "has_been_sent_email": False,
        "created_at": "2026-02-17T12:00:00Z",
        "updated_at": "2026-02-17T12:00:00.123456Z",
    }

    assert validate(good, recipient) == []
    assert validate({**good, "created_at": "2026-02-17T12:00:00+00:00"}, recipient)
    assert validate({**good, "flags": "a"}, recipient)
    assert validate({**good, "extra": 1}, recipient)
    assert validate({k: v for k, v in good.items() if k != "sqid"}, recipient)
    field_errors = {"$ref": "#/components/schemas/Error"}
    assert validate({"subject": ["This field is required."]}, field_errors) == []
    assert validate({"recipient": "Enter a valid email address."}, field_errors) == []
    assert validate({"subject": [1]}, field_errors)
    assert validate({}, field_errors)
    assert validate([], field_errors)
