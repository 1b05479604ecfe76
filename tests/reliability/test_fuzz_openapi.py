"""Fuzz the sandbox from its own OpenAPI document: no 5xx, every answer matches the document.

Each documented operation gets requests built from its parameter and body schemas, mixed
with arbitrary JSON bodies and junk parameters, so both valid and invalid input reach every
handler. ``check_response`` validates each answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import assume, given
from hypothesis import strategies as st

from notifiedby.sandbox import Sandbox
from tests.reliability._schemas import from_schema
from tests.reliability.conftest import BOUNDED
from tests.sandbox._openapi import check_response, document, resolve

#: Header values that http.client can send; anything else fails before reaching the server.
_HEADER_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def _operations() -> Iterator[tuple[str, str]]:
    for path, item in document()["paths"].items():
        for method in item:
            if method in ("get", "post", "delete"):
                yield method, path


def _request(method: str, template: str) -> st.SearchStrategy[dict[str, Any]]:
    """A strategy for one request to the operation: path, query, headers, body."""
    operation = document()["paths"][template][method]
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for parameter in map(resolve, operation.get("parameters", [])):
        value = from_schema(parameter["schema"])
        if parameter["in"] != "path":
            value |= json_values
        parts[f"{parameter['in']}:{parameter['name']}"] = (
            value if parameter.get("required") else st.none() | value
        )
    content = (operation.get("requestBody") or {}).get("content", {})
    bodies: list[st.SearchStrategy[tuple[str, Any]]] = []
    for media_type in ("application/json", "application/x-www-form-urlencoded"):
        if media_type in content:
            schema = content[media_type]["schema"]
            bodies.append(st.tuples(st.just(media_type), from_schema(schema)))
    if bodies:
        bodies.append(st.tuples(st.just("application/json"), json_values))
        parts["body"] = st.one_of(bodies)
    return st.fixed_dictionaries(parts)


def _send(
    session: requests.Session, url: str, method: str, template: str, parts: dict[str, Any]
) -> requests.Response:
    path, query, headers = template, {}, {}
    for name, value in parts.items():
        where, _, key = name.partition(":")
        if value is None or where == "body":
            continue
        text = value if isinstance(value, str) else str(value)
        if where == "path":
            path = path.replace("{" + key + "}", quote(text, safe=""))
        elif where == "query":
            query[key] = text
        elif where == "header":
            assume(_HEADER_VALUE.fullmatch(text) is not None)
            headers[key] = text
    kwargs: dict[str, Any] = {"params": query, "headers": headers, "timeout": 10}
    if "body" in parts:
        media_type, body = parts["body"]
        if media_type == "application/json":
            kwargs["json"] = body
        else:
            kwargs["data"] = body if isinstance(body, dict) else {}
    return session.request(method.upper(), url + path, **kwargs)


@pytest.mark.parametrize(("method", "template"), list(_operations()))
def test_fuzzed_requests_get_documented_answers_and_no_5xx(
    sandbox: Sandbox, method: str, template: str
) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Api-Key {sandbox.api_key}"
    session.post(
        sandbox.url + "/v1/email/send/",
        json={"recipient": "a@example.com", "subject": "s", "body": "b"},
        timeout=10,
    )

    @BOUNDED
    @given(parts=_request(method, template))
    def fuzz(parts: dict[str, Any]) -> None:
        response = _send(session, sandbox.url, method, template, parts)
        assert response.status_code < 500, response.text
        check_response(response)

    try:
        fuzz()
    finally:
        session.close()
