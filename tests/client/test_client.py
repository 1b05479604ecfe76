"""The client against the sandbox: headers, decoding, errors and their messages."""

from __future__ import annotations

import io
from typing import Any

import pytest

from notifiedby._transport import USER_AGENT
from notifiedby.client import NotifiedByClient, endpoint
from notifiedby.exceptions import (
    NotifiedByAPIError,
    NotifiedByAuthError,
    NotifiedByInvalidArgument,
    NotifiedByNotFoundError,
    NotifiedByRateLimitError,
    NotifiedByServerError,
    NotifiedByValidationError,
)
from notifiedby.sandbox import Sandbox
from tests.client.conftest import ENCRYPTION_KEY, MakeClient

SEND = {"recipient": "alice@example.com", "subject": "Hello", "body": "<p>Hi</p>"}


def test_send_and_read_back(client: NotifiedByClient, sandbox: Sandbox) -> None:
    sent = client.post("/email/send/", json=SEND)
    detail = client.get(endpoint("email", "detail", sent["id"]))

    assert detail["subject"] == "Hello"
    assert detail["body"] == "<p>Hi</p>"
    assert [e.id for e in sandbox.emails] == [sent["id"]]


@pytest.mark.parametrize("suffix", ["", "/", "/v1", "/v1/"])
def test_base_url_with_or_without_v1(
    make_client: MakeClient, sandbox: Sandbox, suffix: str
) -> None:
    client = make_client(base_url=sandbox.url + suffix)

    assert client.base_url == sandbox.url + "/v1"
    assert client.get("email/list/")["count"] == 0
    assert sandbox.requests[-1].path == "/v1/email/list/"


def test_headers_sent(make_client: MakeClient, sandbox: Sandbox) -> None:
    client = make_client()
    client.get("/email/list/")
    client.post("/email/send/", json=SEND)

    get, post = sandbox.requests
    assert get.headers["Authorization"] == f"Api-Key ...{sandbox.api_key[-4:]}"
    assert get.headers["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("django-notifiedby/")
    assert " python-requests/" in USER_AGENT
    assert " Python/" in USER_AGENT
    assert get.headers["Accept"] == "application/json"
    assert "Idempotency-Key" not in get.headers
    assert "Encryption-Key" not in get.headers
    assert len(post.headers["Idempotency-Key"]) == 32
    assert "Cookie" not in get.headers


def test_every_post_gets_a_fresh_idempotency_key(
    client: NotifiedByClient, sandbox: Sandbox
) -> None:
    client.post("/email/send/", json=SEND)
    client.post("/email/send/", json=SEND)

    first, second = (r.idempotency_key for r in sandbox.requests)
    assert first != second
    assert len(sandbox.emails) == 2


def test_a_given_idempotency_key_is_sent_and_the_sandbox_deduplicates(
    client: NotifiedByClient, sandbox: Sandbox
) -> None:
    first = client.post("/email/send/", json=SEND, idempotency_key="outbox-42")
    again = client.post("/email/send/", json=SEND, idempotency_key="outbox-42")

    assert first == again
    assert [r.idempotency_key for r in sandbox.requests] == ["outbox-42", "outbox-42"]
    assert len(sandbox.emails) == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "é"])
def test_a_malformed_idempotency_key_is_refused_before_sending(
    client: NotifiedByClient, sandbox: Sandbox, key: str
) -> None:
    with pytest.raises(NotifiedByInvalidArgument, match="idempotency key"):
        client.post("/email/send/", json=SEND, idempotency_key=key)

    assert sandbox.requests == []


def test_encryption_key_sent_only_when_configured(
    make_client: MakeClient, sandbox: Sandbox
) -> None:
    plain, encrypted = make_client(), make_client(encryption_key=ENCRYPTION_KEY)

    sent = encrypted.post("/email/send/", json=SEND)
    assert encrypted.get(endpoint("email", "detail", sent["id"]))["body"] == "<p>Hi</p>"
    assert plain.get(endpoint("email", "detail", sent["id"]))["body"] is None

    first, second, third = sandbox.requests
    assert first.headers["Encryption-Key"] == "[redacted]"
    assert second.headers["Encryption-Key"] == "[redacted]"
    assert "Encryption-Key" not in third.headers
    assert sandbox.emails[0].encrypted is True


def test_form_data_and_multipart_files(client: NotifiedByClient, sandbox: Sandbox) -> None:
    client.post("/email/send/", data={**SEND, "use_account_template": "false"})
    client.post(
        "/email/send/",
        data=SEND,
        files=[("attachment", ("a.txt", io.BytesIO(b"hello"), "text/plain"))],
    )

    form, multipart = sandbox.emails
    assert form.use_account_template is False
    assert [(a.filename, a.content) for a in multipart.attachments] == [("a.txt", b"hello")]


def test_json_and_data_together_is_a_programming_error(client: NotifiedByClient) -> None:
    with pytest.raises(TypeError, match="not both"):
        client.post("/email/send/", json=SEND, data=SEND)


def test_delete_returns_none_for_204(client: NotifiedByClient, sandbox: Sandbox) -> None:
    client.post("/flows/subscribe/", json={"flow_trigger": "WELCOME_SIGNUP", "email": "a@x.io"})

    gone = client.delete(
        "/flows/subscriptions/", params={"email": "a@x.io", "flow_trigger": "WELCOME_SIGNUP"}
    )

    assert gone is None
    assert sandbox.requests[-1].status == 204
    assert sandbox.subscriptions == []


def test_query_params_are_sent(client: NotifiedByClient, sandbox: Sandbox) -> None:
    client.get("/email/list/", params={"recipient": "a+b@x.io", "page": 1, "unused": None})

    assert sandbox.requests[0].query == {"recipient": ["a+b@x.io"], "page": ["1"]}


def test_an_absolute_next_link_is_followed(client: NotifiedByClient, sandbox: Sandbox) -> None:
    for name in ("a", "b", "c"):
        client.post("/recipients/", json={"email": f"{name}@x.io"})

    first = client.get("/recipients/", params={"page_size": 2})
    assert first["next"].startswith(sandbox.url + "/v1/recipients/")
    second = client.get(first["next"])

    assert second["next"] is None
    emails = {r["email"] for r in first["results"] + second["results"]}
    assert emails == {"a@x.io", "b@x.io", "c@x.io"}


def test_ids_in_paths_stay_in_their_segment(client: NotifiedByClient, sandbox: Sandbox) -> None:
    with pytest.raises(NotifiedByNotFoundError):
        client.get(endpoint("email", "detail", "../list"))

    assert sandbox.requests[0].path == "/v1/email/detail/..%2Flist/"


# --- Errors. -------------------------------------------------------------------------------


def test_real_validation_error_lists_the_missing_fields(client: NotifiedByClient) -> None:
    with pytest.raises(NotifiedByValidationError) as caught:
        client.post("/email/send/", json={"recipient": "alice@example.com"})

    error = caught.value
    assert error.status_code == 400
    assert error.field_errors == {
        "subject": ["This field is required."],
        "body": ["This field is required."],
    }
    assert str(error) == (
        "subject: This field is required.; body: This field is required. "
        "(HTTP 400 on POST /email/send/)"
    )
    assert isinstance(error, ValueError)


def test_real_wrong_key_is_an_auth_error(make_client: MakeClient) -> None:
    client = make_client(api_key="sbx_wrong_key_000000000000")

    with pytest.raises(NotifiedByAuthError) as caught:
        client.get("/email/list/")

    assert caught.value.status_code == 401
    assert caught.value.hint == (
        "check the API key, which came from the api_key argument or email backend option"
    )
    assert "sbx_wrong_key" not in str(caught.value)


def test_the_401_hint_names_the_environment_variable_the_key_came_from(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOTIFIEDBY_API_KEY", "sbx_wrong_key_000000000000")
    client = make_client(api_key=None)

    with pytest.raises(NotifiedByAuthError) as caught:
        client.get("/email/list/")

    assert caught.value.hint == (
        "check the API key, which came from the environment variable NOTIFIEDBY_API_KEY"
    )


def test_real_not_found(client: NotifiedByClient) -> None:
    with pytest.raises(NotifiedByNotFoundError, match=r"Not found\. \(HTTP 404 on GET"):
        client.get(endpoint("email", "detail", "NOPE"))


def test_real_daily_quota(client: NotifiedByClient, sandbox: Sandbox) -> None:
    sandbox.set_daily_limit(1)
    client.post("/email/send/", json=SEND)

    with pytest.raises(NotifiedByRateLimitError) as caught:
        client.post("/email/send/", json=SEND)

    assert caught.value.daily_quota is True
    assert "Daily limit of 1 emails has been reached" in str(caught.value)
    assert len(sandbox.requests) == 2  # not retried


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, NotifiedByValidationError),
        (401, NotifiedByAuthError),
        (403, NotifiedByAuthError),
        (404, NotifiedByNotFoundError),
        (409, NotifiedByAPIError),
        (422, NotifiedByAPIError),
        (429, NotifiedByRateLimitError),
        (500, NotifiedByServerError),
        (502, NotifiedByServerError),
        (503, NotifiedByServerError),
        (504, NotifiedByServerError),
    ],
)
def test_each_status_raises_its_class(
    make_client: MakeClient, sandbox: Sandbox, status: int, cls: type[NotifiedByAPIError]
) -> None:
    sandbox.inject_fault(status, count=1)
    client = make_client(max_retries=0)

    with pytest.raises(cls) as caught:
        client.get("/email/list/")

    assert type(caught.value) is cls
    assert caught.value.status_code == status
    assert caught.value.method == "GET"
    assert caught.value.path == "/email/list/"
    assert len(sandbox.requests) == 1


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"detail": "Flow not found."}, "Flow not found."),
        ({"subject": ["This field is required."]}, "subject: This field is required."),
        ({"recipient": "Enter a valid email address."}, "recipient: Enter a valid email address."),
        ({"error": "Email not found"}, "Email not found"),
        ({"message": "Something odd."}, "Something odd."),
        ("<html><title>Bad gateway</title><body>nginx</body></html>", "Bad gateway"),
        (b"upstream connect error", "upstream connect error"),
        (b"", "Bad Request"),
    ],
)
def test_every_body_shape_gives_a_readable_message(
    make_client: MakeClient, sandbox: Sandbox, body: Any, text: str
) -> None:
    sandbox.inject_fault(400, body=body)

    with pytest.raises(NotifiedByValidationError) as caught:
        make_client().get("/email/list/")

    assert caught.value.message == f"{text} (HTTP 400 on GET /email/list/)"


def test_a_body_that_is_not_json_serialisable_is_refused_before_sending(
    client: NotifiedByClient, sandbox: Sandbox
) -> None:
    with pytest.raises(NotifiedByInvalidArgument, match="cannot be encoded as JSON"):
        client.post("/email/send/", json={"when": object()})
    with pytest.raises(NotifiedByInvalidArgument, match="cannot be encoded as JSON"):
        client.post("/email/send/", json={"score": float("nan")})

    assert sandbox.requests == []


def test_a_bad_per_call_timeout_is_refused(client: NotifiedByClient, sandbox: Sandbox) -> None:
    with pytest.raises(NotifiedByInvalidArgument, match="timeout must be a positive number"):
        client.get("/email/list/", timeout=0)

    assert sandbox.requests == []
