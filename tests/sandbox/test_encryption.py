"""Encryption at rest: the body comes back only with the key, and neither is ever stored."""

from __future__ import annotations

import base64
from pathlib import Path

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

KEY = "customer-secret-key-7f3a91"
PLAINTEXT = "<p>TOP-SECRET-BODY-4c1d2e</p>"
#: The plain-text alternative is the same content, so it is kept from the store too.
PLAIN_BODY = "TOP-SECRET-PLAIN-9b8a7c"


def _secret_forms(text: str) -> list[bytes]:
    """Return encodings of ``text`` a careless store might hold it in."""
    raw = text.encode()
    return [
        raw,
        text.encode("utf-16-le"),
        raw.hex().encode(),
        base64.b64encode(raw),
        # Distinctive inner parts, in case only a fragment was stored.
        text.strip("<p>/").encode(),
    ]


def _assert_absent(blob: bytes, where: str) -> None:
    for secret in (PLAINTEXT, PLAIN_BODY, KEY):
        for form in _secret_forms(secret):
            assert form not in blob, f"{where} holds {secret!r} as {form!r}"


def _send_encrypted(api: Api) -> str:
    response = api.post(
        "/v1/email/send/",
        json={
            "recipient": "ann@example.com",
            "subject": "Private",
            "body": PLAINTEXT,
            "plain_body": PLAIN_BODY,
        },
        headers={"Encryption-Key": KEY, "Idempotency-Key": "enc-1"},
    )
    assert response.status_code == 200, response.text
    sqid: str = response.json()["id"]
    return sqid


def test_detail_with_the_same_key_is_plaintext(api: Api) -> None:
    sqid = _send_encrypted(api)

    response = api.get(f"/v1/email/detail/{sqid}/", headers={"Encryption-Key": KEY})

    assert response.status_code == 200
    assert response.json()["body"] == PLAINTEXT
    assert response.json()["subject"] == "Private"


def test_detail_by_address_with_the_key(api: Api) -> None:
    _send_encrypted(api)

    response = api.get(
        "/v1/email/detail/", params={"email": "ann@example.com"}, headers={"Encryption-Key": KEY}
    )

    assert response.json()["body"] == PLAINTEXT


def test_detail_without_a_key_is_null_and_flagged(api: Api) -> None:
    sqid = _send_encrypted(api)

    response = api.get(f"/v1/email/detail/{sqid}/")

    assert response.status_code == 200
    assert response.json()["body"] is None
    assert response.json()["encrypted"] is True


def test_detail_with_another_key_is_400(api: Api) -> None:
    sqid = _send_encrypted(api)

    response = api.get(f"/v1/email/detail/{sqid}/", headers={"Encryption-Key": "another-key"})

    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid encryption key."}


def test_a_key_on_an_unencrypted_email_is_harmless(api: Api) -> None:
    sqid = api.send(body="<p>clear</p>")

    response = api.get(f"/v1/email/detail/{sqid}/", headers={"Encryption-Key": KEY})

    assert response.status_code == 200
    assert response.json()["body"] == "<p>clear</p>"


def test_each_email_is_salted_separately(api: Api, sandbox: Sandbox) -> None:
    first = _send_encrypted(api)
    second = api.post(
        "/v1/email/send/",
        json={"recipient": "ann@example.com", "subject": "Private", "body": PLAINTEXT},
        headers={"Encryption-Key": KEY},
    ).json()["id"]

    assert first != second
    for sqid in (first, second):
        detail = api.get(f"/v1/email/detail/{sqid}/", headers={"Encryption-Key": KEY})
        assert detail.json()["body"] == PLAINTEXT


def test_the_in_memory_store_holds_no_plaintext_and_no_key(
    api: Api, control: Api, sandbox: Sandbox
) -> None:
    sqid = _send_encrypted(api)
    api.get(f"/v1/email/detail/{sqid}/", headers={"Encryption-Key": KEY})
    api.get(f"/v1/email/detail/{sqid}/", headers={"Encryption-Key": "wrong"})

    [email] = sandbox.emails
    assert email.body is None
    assert email.plain_body is None
    assert email.encrypted is True
    _assert_absent(repr(sandbox.emails).encode(), "sandbox.emails")
    _assert_absent(repr(sandbox.requests).encode(), "sandbox.requests")
    for recorded in sandbox.requests:
        assert recorded.headers.get("Encryption-Key") != KEY
        assert recorded.headers.get("Authorization") != f"Api-Key {sandbox.api_key}"
    send = sandbox.requests[0]
    assert send.path == "/v1/email/send/"
    assert send.body is None
    _assert_absent(repr(send.json).encode(), "the recorded send's json")
    state = control.get("/_sandbox/state/")
    assert state.status_code == 200
    _assert_absent(state.content, "/_sandbox/state/")


def test_the_sqlite_file_holds_no_plaintext_and_no_key(tmp_path: Path) -> None:
    sandbox = Sandbox(data=str(tmp_path / "s.sqlite3"))
    sandbox.start()
    try:
        api = Api(sandbox.url, sandbox.api_key)
        sqid = _send_encrypted(api)
        detail = api.get(f"/v1/email/detail/{sqid}/", headers={"Encryption-Key": KEY})
        assert detail.json()["body"] == PLAINTEXT
        api.get(f"/v1/email/detail/{sqid}/", headers={"Encryption-Key": "wrong"})
        api.close()
        # Look while the server runs (a WAL may not be checkpointed yet) and after it stops.
        files = sorted(tmp_path.iterdir())
        assert tmp_path / "s.sqlite3" in files
        for path in files:
            _assert_absent(path.read_bytes(), path.name)
    finally:
        sandbox.stop()
    for path in sorted(tmp_path.iterdir()):
        _assert_absent(path.read_bytes(), path.name)


def test_encrypted_bodies_survive_a_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "s.sqlite3")
    with Sandbox(api_keys=["k"], data=data) as first:
        api = Api(first.url, "k")
        sqid = _send_encrypted(api)
        api.close()
    with Sandbox(api_keys=["k"], data=data) as second:
        api = Api(second.url, "k")
        with_key = api.get(f"/v1/email/detail/{sqid}/", headers={"Encryption-Key": KEY})
        without = api.get(f"/v1/email/detail/{sqid}/")
        api.close()

    assert with_key.json()["body"] == PLAINTEXT
    assert without.json()["body"] is None


def test_encryption_keys_open_sealed_emails_in_the_views_and_leave_them_sealed(
    api: Api, sandbox: Sandbox
) -> None:
    sqid = _send_encrypted(api)
    (sealed,) = sandbox.emails
    assert sealed.body is None

    sandbox.encryption_keys = ["not-the-key", KEY]
    (opened,) = sandbox.emails
    assert (opened.encrypted, opened.body, opened.plain_body) == (True, PLAINTEXT, PLAIN_BODY)
    page = api.session.get(f"{sandbox.url}/", timeout=10).text
    assert "TOP-SECRET-BODY-4c1d2e" in page
    assert "Sealed: stored encrypted" not in page
    # Storage and the API are as before: the row is still ciphertext, and the API still
    # wants the key.
    row = sandbox.control.store.find_email(sqid)
    assert row is not None
    _assert_absent(bytes(row["content"]), "the stored row")
    assert api.get(f"/v1/email/detail/{sqid}/").json()["body"] is None

    sandbox.encryption_keys = []
    assert sandbox.emails[0].body is None
