"""The web inbox at ``/``: server-rendered, escaped, email bodies in sandboxed iframes.

What a browser makes of it is tested in test_inbox_browser.py.
"""

from __future__ import annotations

import html
import re

import pytest
import requests

from notifiedby.sandbox import Sandbox
from tests.sandbox.conftest import Api

EVIL = '<script>document.title="pwned"</script><img src=x onerror="alert(1)"><p>Body & more</p>'


def _page(control: Api, path: str = "/") -> requests.Response:
    response = control.get(path)
    assert response.status_code == 200, response.text
    return response


def test_the_inbox_is_html_with_a_strict_policy(control: Api) -> None:
    response = _page(control)

    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    assert "default-src 'none'" in policy
    assert re.findall(r"<script[^>]*>", response.text) == [f'<script nonce="{nonce.group(1)}">']
    assert "<title>NotifiedBy sandbox inbox</title>" in response.text
    assert '<button type="button" data-seconds="86400">+1 day</button>' in response.text


def test_email_html_is_escaped_into_a_sandboxed_iframe(api: Api, control: Api) -> None:
    api.send("ann@example.com", subject="<b>Hi</b> & bye", body=EVIL, plain_body="<i>plain</i>")

    text = _page(control).text

    [iframe] = re.findall(r"<iframe[^>]*>", text)
    assert 'sandbox=""' in iframe
    assert "allow-" not in iframe
    srcdoc = re.search(r'srcdoc="([^"]*)"', iframe)
    assert srcdoc is not None
    assert html.unescape(srcdoc.group(1)) == EVIL
    assert "pwned" not in text.replace(html.escape(EVIL), "")
    assert "<script>document" not in text
    assert "onerror=" not in text.replace(html.escape(EVIL), "")
    assert "&lt;b&gt;Hi&lt;/b&gt; &amp; bye" in text
    assert "<pre>&lt;i&gt;plain&lt;/i&gt;</pre>" in text
    assert '<span class="badge delivered">delivered</span>' in text


def test_encrypted_emails_are_sealed(api: Api, control: Api) -> None:
    api.post(
        "/v1/email/send/",
        json={"recipient": "ann@example.com", "subject": "Sealed one", "body": "<p>secret</p>"},
        headers={"Encryption-Key": "k" * 32},
    )

    text = _page(control).text

    assert "Sealed one" in text
    assert "Sealed: stored encrypted" in text
    assert "secret" not in text
    assert "<iframe" not in text


def test_attachments_download(api: Api, control: Api, sandbox: Sandbox) -> None:
    response = api.post(
        "/v1/email/send/",
        data={"recipient": "ann@example.com", "subject": "Files", "body": "<p>b</p>"},
        files=[
            ("attachment", ("notes <1>.txt", b"hello", "text/plain")),
            ("attachment", ("page.html", b"<script>x</script>", "text/html")),
        ],
    )
    email_id = response.json()["id"]
    text = _page(control).text
    links = re.findall(r'href="(/inbox/emails/[^"]+)"', text)

    first = control.get(links[0])
    second = control.get(links[1])

    assert links == [f"/inbox/emails/{email_id}/attachments/{i}" for i in (0, 1)]
    assert "notes &lt;1&gt;.txt" in text
    assert first.content == b"hello"
    assert (
        first.headers["Content-Disposition"] == "attachment; filename*=UTF-8''notes%20%3C1%3E.txt"
    )
    assert second.headers["Content-Type"] == "text/html"
    assert second.headers["Content-Security-Policy"] == "sandbox"
    assert second.headers["X-Content-Type-Options"] == "nosniff"
    assert sandbox.emails[0].attachments[1].content == second.content


@pytest.mark.parametrize(
    "path",
    ["/inbox/emails/NOPE/attachments/0", "/inbox/emails/{id}/attachments/9", "/inbox/other"],
)
def test_unknown_inbox_paths_are_404(api: Api, control: Api, path: str) -> None:
    email_id = api.send()

    response = control.get(path.format(id=email_id))

    assert response.status_code == 404


def test_the_inbox_only_answers_get(control: Api) -> None:
    response = control.post("/")

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"


def test_recipients_flows_and_who_is_where(api: Api, control: Api, sandbox: Sandbox) -> None:
    api.upsert("ann@example.com", first_name="Ann", last_name="<Lee>", flags=["vip<1>"])
    api.subscribe("ann@example.com")
    api.subscribe("bob@example.com", "PREMIUM_ONBOARDING")
    sandbox.block("bob@example.com")
    sandbox.advance()

    text = _page(control).text

    assert "Ann &lt;Lee&gt;" in text
    assert '<span class="badge flag">vip&lt;1&gt;</span>' in text
    assert 'bob@example.com <span class="badge blocked">blocked</span>' in text
    welcome = text[text.index("Welcome Signup Flow") :]
    step_two = welcome[welcome.index("<li>Wait 2 days") :]
    assert step_two.index("ann@example.com") < step_two.index("</li>")
    assert "Email <b>Welcome, {first_name}!</b>" in welcome
    assert 'If <span class="badge flag">onboarded</span>: yes → end, no → next' in text
    assert "Set flag" in text


def test_the_stamp_changes_with_the_state_not_the_wall_clock(api: Api, control: Api) -> None:
    stamp = control.get("/inbox/stamp").text
    same = control.get("/inbox/stamp").text
    api.send()
    after_send = control.get("/inbox/stamp").text
    control.post("/_sandbox/clock/", json={"hours": 1})
    after_clock = control.get("/inbox/stamp").text

    assert stamp == same
    assert len({stamp, after_send, after_clock}) == 3
    assert f"const stamp = {after_clock!r}".replace("'", '"') in _page(control).text
