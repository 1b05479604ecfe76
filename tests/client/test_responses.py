"""Reading answers: every body shape of the contract becomes a readable message."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import attrs
import pytest

from notifiedby import _responses
from notifiedby.exceptions import (
    NotifiedByAPIError,
    NotifiedByAuthError,
    NotifiedByNotFoundError,
    NotifiedByRateLimitError,
    NotifiedByServerError,
    NotifiedByValidationError,
)


@attrs.frozen
class Answer:
    """A stand-in HTTP response: just the four fields the module reads."""

    status_code: int
    content: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    reason: str = "Reason"


def answer(status: int, body: Any = None, **headers: str) -> Answer:
    content = (
        body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    )
    return Answer(status, content, {k.replace("_", "-"): v for k, v in headers.items()})


def error_for(status: int, body: Any = None, **headers: str) -> NotifiedByAPIError:
    return _responses.api_error(answer(status, body, **headers), "POST", "/email/send/")


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"detail": "Authentication credentials were not provided."},
         "Authentication credentials were not provided."),
        ({"subject": ["This field is required."]}, "subject: This field is required."),
        ({"subject": ["This field is required."], "body": ["This field is required."]},
         "subject: This field is required.; body: This field is required."),
        ({"recipient": "Enter a valid email address."}, "recipient: Enter a valid email address."),
        ({"error": "Daily limit of 100 emails has been reached"},
         "Daily limit of 100 emails has been reached"),
        ({"message": "Flags ['premium'] set."}, "Flags ['premium'] set."),
        ({"non_field_errors": ["Bad combination."]}, "Bad combination."),
        ({"email": ["Too long.", "Not valid."]}, "email: Too long. Not valid."),
        ({"detail": ["One.", "Two."]}, "One. Two."),
        ({"detail": "", "error": "Used instead."}, "Used instead."),
        (["Just a list."], "Just a list."),
        ("A JSON string.", "A JSON string."),
        ({}, ""),
        (None, ""),
    ],
)  # fmt: skip
def test_describe_every_body_shape(body: Any, text: str) -> None:
    assert _responses.describe(body) == text


def test_field_errors_are_kept_as_a_dict_of_lists() -> None:
    error = error_for(400, {"subject": ["This field is required."], "recipient": "Bad."})

    assert error.field_errors == {"subject": ["This field is required."], "recipient": ["Bad."]}
    assert error.body == {"subject": ["This field is required."], "recipient": "Bad."}
    assert str(error).startswith("subject: This field is required.; recipient: Bad.")
    assert "(HTTP 400 on POST /email/send/)" in str(error)


def test_a_detail_body_has_no_field_errors() -> None:
    assert error_for(400, {"detail": "Flow not found.", "code": "x"}).field_errors == {}


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, NotifiedByValidationError),
        (401, NotifiedByAuthError),
        (403, NotifiedByAuthError),
        (404, NotifiedByNotFoundError),
        (405, NotifiedByAPIError),
        (409, NotifiedByAPIError),
        (413, NotifiedByAPIError),
        (429, NotifiedByRateLimitError),
        (500, NotifiedByServerError),
        (502, NotifiedByServerError),
        (599, NotifiedByServerError),
        (301, NotifiedByAPIError),
    ],
)
def test_each_status_maps_to_its_class(status: int, cls: type[NotifiedByAPIError]) -> None:
    error = error_for(status, {"detail": "x"})

    assert type(error) is cls
    assert error.status_code == status
    assert error.method == "POST"
    assert error.path == "/email/send/"


def test_html_bodies_become_a_short_excerpt() -> None:
    page = (
        b"<html><head><style>p {color: red}</style><title>502 Bad Gateway</title></head>"
        b"<body><h1>502 Bad Gateway</h1>" + b"<p>nginx</p>" * 500 + b"</body></html>"
    )
    error = error_for(502, page)

    assert error.message == "502 Bad Gateway (HTTP 502 on POST /email/send/)"
    assert isinstance(error.body, str)
    assert len(error.body) <= 2000


def test_long_plain_text_is_truncated_with_an_ellipsis() -> None:
    error = error_for(500, b"x" * 5000)

    text = error.message.removesuffix(" (HTTP 500 on POST /email/send/)")
    assert len(text) == _responses.EXCERPT_LENGTH
    assert text.endswith("…")


def test_html_without_title_is_stripped_of_tags() -> None:
    assert _responses.excerpt("<div><b>Service</b>\n  unavailable<script>x()</script></div>") == (
        "Service unavailable"
    )


def test_an_empty_body_falls_back_to_the_reason_phrase() -> None:
    error = _responses.api_error(Answer(503, b"", {}, "Service Unavailable"), "GET", "/x/")

    assert error.message == "Service Unavailable (HTTP 503 on GET /x/)"
    assert error.body is None


def test_a_server_error_on_a_post_hints_that_it_may_have_been_acted_on() -> None:
    assert "may have been acted on" in str(error_for(500, {"detail": "boom"}))


def test_auth_errors_point_at_where_the_key_came_from() -> None:
    refused = answer(401, {"detail": "Invalid key."})
    error = _responses.api_error(refused, "GET", "/x/", (), "the Django setting NOTIFIEDBY_API_KEY")

    assert error.hint == "check the API key, which came from the Django setting NOTIFIEDBY_API_KEY"
    assert error_for(401, {"detail": "Invalid key."}).hint == "check the API key"


def test_secrets_echoed_by_a_server_are_scrubbed() -> None:
    page = b"<p>Bad header Authorization: Api-Key sk_live_SECRET_0123</p>"
    error = _responses.api_error(answer(400, page), "GET", "/x/", ("sk_live_SECRET_0123",))

    assert "SECRET" not in str(error)
    assert "SECRET" not in repr(error)
    assert "SECRET" not in str(error.body)


def test_daily_quota_is_recognised_and_not_given_a_retry_hint() -> None:
    error = error_for(429, {"error": "Daily limit of 100 emails has been reached"})

    assert isinstance(error, NotifiedByRateLimitError)
    assert error.daily_quota is True
    assert error.retry_after is None
    assert "retrying today will not help" in str(error)


def test_a_throttle_429_carries_retry_after() -> None:
    error = error_for(429, {"detail": "Request was throttled."}, Retry_After="7")

    assert isinstance(error, NotifiedByRateLimitError)
    assert error.daily_quota is False
    assert error.retry_after == 7.0
    assert error.headers["Retry-After"] == "7"


def test_retry_after_as_seconds_or_http_date() -> None:
    soon = datetime.now(timezone.utc) + timedelta(seconds=20)

    assert _responses.retry_after({"Retry-After": "3"}) == 3.0
    assert _responses.retry_after({"Retry-After": " 1.5 "}) == 1.5
    assert _responses.retry_after({"Retry-After": "-4"}) == 0.0
    from_date = _responses.retry_after({"Retry-After": format_datetime(soon, usegmt=True)})
    assert from_date is not None
    assert 17 < from_date <= 20
    past = format_datetime(soon - timedelta(days=1), usegmt=True)
    assert _responses.retry_after({"Retry-After": past}) == 0.0
    assert _responses.retry_after({"Retry-After": "soon"}) is None
    assert _responses.retry_after({"Retry-After": "nan"}) is None
    assert _responses.retry_after({}) is None


def test_decode_success_bodies() -> None:
    assert _responses.decode(answer(200, {"id": "JDT"}), "GET", "/x/") == {"id": "JDT"}
    assert _responses.decode(answer(200, [1, 2]), "GET", "/x/") == [1, 2]
    assert _responses.decode(Answer(204), "DELETE", "/x/") is None
    assert _responses.decode(Answer(200, b"  "), "GET", "/x/") is None


def test_a_success_status_with_a_non_json_body_is_an_error() -> None:
    page = Answer(200, b"<html><title>Wi-Fi login</title></html>", {"Content-Type": "text/html"})

    with pytest.raises(NotifiedByAPIError, match="Expected JSON but got text/html") as caught:
        _responses.decode(page, "GET", "/email/list/")

    assert caught.value.status_code == 200
    assert "Wi-Fi login" in str(caught.value)
