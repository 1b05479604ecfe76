"""Email endpoints: send (JSON, form, multipart), list, detail, delivery, limits, idempotency."""

from __future__ import annotations

import pytest

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

DETAIL_400 = (
    "Provide sqid in URL path or as query parameter (id=<sqid>) or email=<address> as query"
    " parameter."
)


def test_send_json_stores_the_email(api: Api, sandbox: Sandbox) -> None:
    response = api.post(
        "/v1/email/send/",
        json={
            "recipient": "ann@example.com",
            "subject": "Welcome",
            "body": "<p>Hello Ann</p>",
            "plain_body": "Hello Ann",
            "first_name": "Ann",
            "last_name": "Lee",
            "flags": ["premium", "beta"],
            "use_account_template": False,
        },
    )

    assert response.status_code == 200
    sqid = response.json()["id"]
    assert response.json() == {"id": sqid}
    [email] = sandbox.emails
    assert email.id == sqid
    assert email.recipient == "ann@example.com"
    assert email.subject == "Welcome"
    assert email.body == "<p>Hello Ann</p>"
    assert email.plain_body == "Hello Ann"
    assert (email.first_name, email.last_name) == ("Ann", "Lee")
    assert sorted(email.flags) == ["beta", "premium"]
    assert email.use_account_template is False
    assert email.encrypted is False
    assert email.blocked is False
    assert len(email.attachments) == 0


def test_send_defaults_use_account_template_to_true(api: Api, sandbox: Sandbox) -> None:
    api.send()

    assert sandbox.emails[0].use_account_template is True


def test_send_creates_the_recipient_and_marks_it_sent(api: Api) -> None:
    api.send("New.Person@Example.com", first_name="New")

    [recipient] = api.get("/v1/recipients/", params={"email": "new.person@example.com"}).json()[
        "results"
    ]
    assert recipient["has_been_sent_email"] is True
    assert recipient["first_name"] == "New"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("True", True), ("1", True), ("false", False), ("False", False), ("0", False)],
)
def test_send_form_encoded(api: Api, sandbox: Sandbox, value: str, expected: bool) -> None:
    response = api.post(
        "/v1/email/send/",
        data={
            "recipient": "ann@example.com",
            "subject": "Form",
            "body": "<p>x</p>",
            "flags": "premium,beta",
            "use_account_template": value,
        },
    )

    assert response.status_code == 200, response.text
    [email] = sandbox.emails
    assert email.use_account_template is expected
    assert sorted(email.flags) == ["beta", "premium"]


def test_send_multipart_with_repeated_attachments(api: Api, sandbox: Sandbox) -> None:
    response = api.post(
        "/v1/email/send/",
        data={"recipient": "ann@example.com", "subject": "Files", "body": "<p>see</p>"},
        files=[
            ("attachment", ("a.txt", b"first file", "text/plain")),
            ("attachment", ("b.bin", bytes(range(256)), "application/octet-stream")),
        ],
    )

    assert response.status_code == 200, response.text
    [email] = sandbox.emails
    attachments = {a.filename: a for a in email.attachments}
    assert set(attachments) == {"a.txt", "b.bin"}
    assert attachments["a.txt"].content == b"first file"
    assert attachments["a.txt"].content_type == "text/plain"
    assert attachments["b.bin"].content == bytes(range(256))


def test_send_missing_fields_are_listed(api: Api, sandbox: Sandbox) -> None:
    response = api.post("/v1/email/send/", json={})

    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {"recipient", "subject", "body"}
    for messages in errors.values():
        assert isinstance(messages, list)
        assert messages
        assert all(isinstance(m, str) and m for m in messages)
    assert sandbox.emails == []


def test_send_one_missing_field(api: Api) -> None:
    response = api.post("/v1/email/send/", json={"recipient": "a@b.co", "body": "<p>x</p>"})

    assert response.status_code == 400
    assert set(response.json()) == {"subject"}


@pytest.mark.parametrize("address", ["not-an-email", "a@", "@b.co", "a b@c.co", "a@b.co, c@d.co"])
def test_send_bad_recipient_syntax(api: Api, sandbox: Sandbox, address: str) -> None:
    response = api.post(
        "/v1/email/send/", json={"recipient": address, "subject": "s", "body": "<p>b</p>"}
    )

    assert response.status_code == 400
    assert "recipient" in response.json()
    assert sandbox.emails == []


def test_list_is_newest_first_without_ids(api: Api) -> None:
    for subject in ("one", "two", "three"):
        api.send(subject=subject)

    page = api.get("/v1/email/list/").json()

    assert page["count"] == 3
    assert [item["subject"] for item in page["results"]] == ["three", "two", "one"]
    assert all(set(item) == {"recipient", "subject", "created_on"} for item in page["results"])


def test_list_filters_by_recipient_case_insensitively(api: Api) -> None:
    api.send("ann@example.com", subject="to ann")
    api.send("bob@example.com", subject="to bob")

    page = api.get("/v1/email/list/", params={"recipient": "ANN@example.COM"}).json()

    assert page["count"] == 1
    assert page["results"][0]["subject"] == "to ann"


def test_list_empty(api: Api) -> None:
    assert api.get("/v1/email/list/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_detail_by_path_and_by_query_id(api: Api) -> None:
    sqid = api.send("ann@example.com", subject="Hi", body="<p>body</p>")

    by_path = api.get(f"/v1/email/detail/{sqid}/")
    by_query = api.get("/v1/email/detail/", params={"id": sqid})

    assert by_path.status_code == 200
    assert by_path.json() == by_query.json()
    detail = by_path.json()
    assert detail["recipient"] == "ann@example.com"
    assert detail["subject"] == "Hi"
    assert detail["body"] == "<p>body</p>"
    assert "encrypted" not in detail or detail["encrypted"] is False


@pytest.mark.parametrize("name", ["email", "recipient"])
def test_detail_by_address_gives_the_most_recent(api: Api, name: str) -> None:
    api.send("ann@example.com", subject="older")
    api.send("ann@example.com", subject="newer")
    api.send("bob@example.com", subject="other")

    response = api.get("/v1/email/detail/", params={name: "Ann@Example.com"})

    assert response.status_code == 200
    assert response.json()["subject"] == "newer"


def test_detail_without_any_id_is_400(api: Api) -> None:
    response = api.get("/v1/email/detail/")

    assert response.status_code == 400
    assert response.json() == {"detail": DETAIL_400}


@pytest.mark.parametrize(
    "path",
    [
        "/v1/email/detail/NOPE/",
        "/v1/email/detail/?id=NOPE",
        "/v1/email/detail/?email=nobody@example.com",
    ],
)
def test_detail_not_found(api: Api, path: str) -> None:
    api.send()

    response = api.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_delivery_by_path_and_by_query(api: Api) -> None:
    sqid = api.send()

    by_path = api.get(f"/v1/email/delivery/{sqid}/")
    by_query = api.get("/v1/email/delivery/", params={"id": sqid})

    assert by_path.status_code == 200
    assert by_path.json() == by_query.json()
    assert by_path.json()["id"] == sqid
    assert by_path.json()["status"] == "delivered"


@pytest.mark.parametrize("path", ["/v1/email/delivery/NOPE/", "/v1/email/delivery/?id=NOPE"])
def test_delivery_not_found(api: Api, path: str) -> None:
    response = api.get(path)

    assert response.status_code == 404
    assert response.json() == {"error": "Email not found"}


def test_delivery_without_id_is_400(api: Api) -> None:
    response = api.get("/v1/email/delivery/")

    assert response.status_code == 400


def test_blocked_recipient_gets_200_with_error(api: Api, sandbox: Sandbox) -> None:
    sandbox.block("Blocked@Example.com")

    response = api.post(
        "/v1/email/send/",
        json={"recipient": "blocked@example.com", "subject": "s", "body": "<p>b</p>"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body == {"id": body["id"], "error": "Recipient is blocked"}
    assert sandbox.emails[-1].blocked is True
    delivery = api.get(f"/v1/email/delivery/{body['id']}/").json()
    assert delivery["status"] == "failed"


def test_unblock(api: Api, sandbox: Sandbox) -> None:
    sandbox.block("ann@example.com")
    sandbox.unblock("ann@example.com")

    response = api.post(
        "/v1/email/send/", json={"recipient": "ann@example.com", "subject": "s", "body": "b"}
    )

    assert "error" not in response.json()


def test_daily_limit(api: Api, sandbox: Sandbox) -> None:
    sandbox.set_daily_limit(2)
    api.send()
    api.send()

    response = api.post(
        "/v1/email/send/", json={"recipient": "ann@example.com", "subject": "s", "body": "b"}
    )

    assert response.status_code == 429
    assert response.json() == {"error": "Daily limit of 2 emails has been reached"}
    assert len(sandbox.emails) == 2


def test_daily_limit_none_lifts_it(api: Api, sandbox: Sandbox) -> None:
    sandbox.set_daily_limit(1)
    api.send()
    sandbox.set_daily_limit(None)

    api.send()

    assert len(sandbox.emails) == 2


def test_idempotency_key_replays_the_first_answer(api: Api, sandbox: Sandbox) -> None:
    payload = {"recipient": "ann@example.com", "subject": "once", "body": "<p>x</p>"}
    headers = {"Idempotency-Key": "send-123"}

    first = api.post("/v1/email/send/", json=payload, headers=headers)
    second = api.post("/v1/email/send/", json=payload, headers=headers)

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(sandbox.emails) == 1
    assert sandbox.emails[0].idempotency_key == "send-123"
    assert api.get("/v1/email/list/").json()["count"] == 1


def test_a_new_idempotency_key_acts_again(api: Api, sandbox: Sandbox) -> None:
    payload = {"recipient": "ann@example.com", "subject": "twice", "body": "<p>x</p>"}

    first = api.post("/v1/email/send/", json=payload, headers={"Idempotency-Key": "k1"})
    second = api.post("/v1/email/send/", json=payload, headers={"Idempotency-Key": "k2"})

    assert first.json()["id"] != second.json()["id"]
    assert len(sandbox.emails) == 2


def test_idempotency_key_replays_a_subscribe(api: Api, sandbox: Sandbox) -> None:
    payload = {"flow_trigger": "WELCOME_SIGNUP", "email": "ann@example.com"}
    headers = {"Idempotency-Key": "sub-1"}

    first = api.post("/v1/flows/subscribe/", json=payload, headers=headers)
    second = api.post("/v1/flows/subscribe/", json=payload, headers=headers)

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert len(sandbox.subscriptions) == 1
