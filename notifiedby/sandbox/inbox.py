"""The web inbox at ``/``: what the sandbox sent and where everyone is in their flows.

One server-rendered page with no external assets. Email HTML is shown in ``<iframe sandbox
srcdoc=...>``: no scripts, no access to the page, and a Content-Security-Policy that lets only
the page's own small refresh script run. The script polls ``/inbox/stamp`` and reloads when
the state changes, keeping open emails open.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from html import escape
from typing import Any
from urllib.parse import quote

from notifiedby.sandbox.control import Control, SentEmail
from notifiedby.sandbox.flows import duration
from notifiedby.sandbox.wire import ApiError, Request, is_media_type

__all__ = ["serve"]

Response = tuple[int, Any, dict[str, str]]

_OCTET_STREAM = "application/octet-stream"

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2933;
 background:#f4f5f7}
header{display:flex;gap:16px;align-items:baseline;flex-wrap:wrap;padding:14px 24px;
 background:#1f2933;color:#fff}
header h1{font-size:18px;margin:0}header .muted{color:#cbd2d9}
.clock{margin-left:auto;font-size:12px;color:#cbd2d9}
.clock button{font:inherit;margin-left:4px;padding:2px 8px;border:1px solid #52606d;
 border-radius:4px;background:#323f4b;color:#fff;cursor:pointer}
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:20px;padding:20px 24px}
@media (max-width:900px){main{grid-template-columns:1fr}}
h2{font-size:15px;margin:0 0 10px;text-transform:uppercase;letter-spacing:.04em;color:#52606d}
section{margin-bottom:24px}
.card{background:#fff;border:1px solid #e4e7eb;border-radius:8px;margin-bottom:8px}
details.card>summary{list-style:none;cursor:pointer;padding:10px 14px;display:flex;gap:10px;
 align-items:center;flex-wrap:wrap}
details.card>summary::-webkit-details-marker{display:none}
details.card[open]>summary{border-bottom:1px solid #e4e7eb}
.subject{font-weight:600}.muted{color:#7b8794;font-size:12px}.when{margin-left:auto}
.content{padding:12px 14px}
iframe{width:100%;height:300px;border:1px solid #e4e7eb;border-radius:6px;background:#fff;
 resize:vertical}
pre{white-space:pre-wrap;background:#f4f5f7;padding:10px;border-radius:6px;margin:6px 0 0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.pending{background:#fff3c4;color:#8d6708}.delivered,.completed{background:#d9f5e3;color:#1b7340}
.bounced,.complained,.blocked{background:#fde0e0;color:#a61b1b}
.failed,.cancelled{background:#e4e7eb;color:#52606d}.active{background:#dceefb;color:#0b69a3}
.flag{background:#ede7fb;color:#5b3db3}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e4e7eb;
 border-radius:8px;overflow:hidden}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid #eef0f2;vertical-align:top}
th{font-size:12px;color:#7b8794;font-weight:600;background:#fafbfc}
ol{margin:0;padding:10px 14px 10px 34px}li{margin:3px 0}
.flow h3{font-size:14px;margin:0;padding:10px 14px 0}
.here{margin:3px 0 0}.empty{color:#7b8794;font-style:italic}
"""

_SCRIPT = """
const stamp = %s;
const open = new Set(JSON.parse(sessionStorage.getItem("nb-open") || "[]"));
for (const item of document.querySelectorAll("details[id]")) {
  if (open.has(item.id) || location.hash === "#" + item.id) item.open = true;
  item.addEventListener("toggle", () => {
    item.open ? open.add(item.id) : open.delete(item.id);
    sessionStorage.setItem("nb-open", JSON.stringify([...open]));
  });
}
for (const button of document.querySelectorAll("button[data-seconds]")) {
  button.addEventListener("click", async () => {
    const seconds = Number(button.dataset.seconds);
    await fetch("/_sandbox/clock/", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({seconds})
    });
    location.reload();
  });
}
setInterval(async () => {
  try {
    const answer = await fetch("/inbox/stamp", {cache: "no-store"});
    if ((await answer.text()) !== stamp) location.reload();
  } catch (error) { /* the sandbox stopped; keep what is shown */ }
}, 1500);
"""


#: The header's buttons that move the sandbox clock: label -> seconds.
_CLOCK_BUTTONS = "".join(
    f'<button type="button" data-seconds="{seconds}">{label}</button>'
    for label, seconds in (("+1 hour", 3600), ("+1 day", 86400), ("+1 week", 604800))
)


def _badge(text: str, kind: str | None = None) -> str:
    return f'<span class="badge {escape(kind or text)}">{escape(text)}</span>'


def _time(stamp: str | None) -> str:
    return "" if stamp is None else escape(stamp[:19].replace("T", " "))


def _span(seconds: float) -> str:
    left = int(seconds)
    parts = []
    for name, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, left = divmod(left, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    return " ".join(parts)


def _describe(step: dict[str, Any]) -> str:
    """One line of HTML saying what a step does."""
    kind = step["type"]
    if kind == "email":
        return f"Email <b>{escape(step['subject'])}</b>"
    if kind == "wait":
        span = duration(step).total_seconds()
        if "until_flag" in step:
            return f"Wait up to {_span(span)} for {_badge(step['until_flag'], 'flag')}"
        return f"Wait {_span(span)}"
    if kind == "condition":
        branches = f"yes → {step.get('if_true', 'next')}, no → {step.get('if_false', 'next')}"
        return f"If {_badge(step['flag'], 'flag')}: {escape(branches)}"
    action = step["action"]
    if action == "webhook":
        return f"Call webhook <code>{escape(step['url'])}</code>"
    if action == "suppress":
        return "Suppress the recipient"
    verb = "Set" if action == "set_flag" else "Clear"
    return f"{verb} flag {_badge(step['flag'], 'flag')}"


def _email(email: SentEmail) -> str:
    via = f" · via {escape(email.flow_trigger)}" if email.flow_trigger else ""
    summary = (
        f"{_badge(email.status)}<span class=subject>{escape(email.subject)}</span>"
        f"<span>to {escape(email.recipient)}</span>"
        f'<span class="muted when">{_time(email.created_on.isoformat())}{via}</span>'
    )
    if email.encrypted and email.body is None:
        content = "<p class=empty>Sealed: stored encrypted; the sandbox has no key to open it.</p>"
    else:
        content = (
            f'<iframe sandbox="" title="Body of {escape(email.subject)}" '
            f'srcdoc="{escape(email.body or "")}"></iframe>'
        )
        if email.plain_body:
            content += f"<div class=muted>Plain text</div><pre>{escape(email.plain_body)}</pre>"
        links = [
            f'<li><a href="/inbox/emails/{quote(email.id)}/attachments/{index}" download>'
            f"{escape(item.filename)}</a> <span class=muted>{escape(item.content_type)},"
            f" {len(item.content)} bytes</span></li>"
            for index, item in enumerate(email.attachments)
        ]
        if links:
            content += f"<div class=muted>Attachments</div><ul>{''.join(links)}</ul>"
    return (
        f'<details class="card email" id="email-{escape(email.id)}"><summary>{summary}</summary>'
        f"<div class=content>{content}</div></details>"
    )


def _recipients(state: dict[str, Any]) -> str:
    if not state["recipients"]:
        return "<p class=empty>No recipients yet.</p>"
    rows = []
    for recipient in state["recipients"]:
        key = recipient["email"].casefold()
        subscriptions = [
            f"{escape(s['flow_trigger'])} {_badge(s['status'])}"
            + (f" step {s['current_step_order']}" if s["status"] == "active" else "")
            for s in state["subscriptions"]
            if s["recipient_email"].casefold() == key
        ]
        name = f"{recipient['first_name']} {recipient['last_name']}".strip()
        blocked = _badge("blocked") if key in state["blocked"] else ""
        rows.append(
            f"<tr><td>{escape(recipient['email'])} {blocked}"
            f"<div class=muted>{escape(name)}</div></td>"
            f"<td>{' '.join(_badge(flag, 'flag') for flag in recipient['flags'])}</td>"
            f"<td>{'<br>'.join(subscriptions)}</td></tr>"
        )
    return (
        "<table><tr><th>Recipient</th><th>Flags</th><th>Subscriptions</th></tr>"
        f"{''.join(rows)}</table>"
    )


def _flows(state: dict[str, Any]) -> str:
    cards = []
    for flow in state["flows"]:
        active = [
            s
            for s in state["subscriptions"]
            if s["flow_trigger"] == flow["trigger"] and s["status"] == "active"
        ]
        steps = []
        for number, step in enumerate(flow["steps"], 1):
            here = "".join(
                f"<div class=here>{_badge(s['recipient_email'], 'active')}"
                f" <span class=muted>due {_time(s['next_send_date'])}</span></div>"
                for s in active
                if s["current_step_order"] == number
            )
            steps.append(f"<li>{_describe(step)}{here}</li>")
        body = f"<ol>{''.join(steps)}</ol>" if steps else "<p class=content>No steps.</p>"
        cards.append(
            f'<div class="card flow"><h3>{escape(flow["name"])} '
            f"<span class=muted>{escape(flow['trigger'])}</span></h3>{body}</div>"
        )
    return "".join(cards) or "<p class=empty>No flows.</p>"


def _webhooks(state: dict[str, Any]) -> str:
    rows = [
        f"<tr><td>{_time(call['called_at'])}</td><td><code>{escape(call['url'])}</code></td>"
        f"<td>{escape(call['flow_trigger'])} step {call['step']}</td>"
        f"<td>{escape(call['outcome'])}</td></tr>"
        for call in state["webhook_calls"]
    ]
    if not rows:
        return "<p class=empty>No webhook calls yet.</p>"
    return (
        "<table><tr><th>When</th><th>URL</th><th>From</th><th>Outcome</th></tr>"
        f"{''.join(rows)}</table>"
    )


def _stamp(state: dict[str, Any]) -> str:
    """A digest of what the page shows; the wall clock alone doesn't change it."""
    shown = {key: value for key, value in state.items() if key != "clock"}
    shown["offset"] = state["clock"]["offset_seconds"]
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def _page(control: Control) -> tuple[str, str]:
    """Render the inbox; return the HTML and the nonce its script runs under."""
    state = control.state()
    emails = list(reversed(control.sent_emails()))
    nonce = secrets.token_urlsafe(16)
    offset = state["clock"]["offset_seconds"]
    # To the minute: the offset drifts by the time the engine took to move the clock.
    ahead = f" ({_span(round(offset / 60) * 60)} ahead of the wall clock)" if offset >= 60 else ""
    listing = "".join(_email(email) for email in emails) or "<p class=empty>No emails yet.</p>"
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>NotifiedBy sandbox inbox</title><style>{_CSS}</style></head>
<body><header><h1>NotifiedBy sandbox</h1>
<span class=muted>Sandbox time {_time(state["clock"]["now"])} UTC{escape(ahead)}</span>
<span class=muted>{len(emails)} emails · {len(state["recipients"])} recipients</span>
<span class=clock>Advance the clock {_CLOCK_BUTTONS}</span></header>
<main><div><section id="emails"><h2>Emails</h2>{listing}</section></div>
<div><section id="recipients"><h2>Recipients</h2>{_recipients(state)}</section>
<section id="flows"><h2>Flows</h2>{_flows(state)}</section>
<section id="webhooks"><h2>Webhook calls</h2>{_webhooks(state)}</section></div></main>
<script nonce="{nonce}">{_SCRIPT % json.dumps(_stamp(state))}</script></body></html>"""
    return html, nonce


def _attachment(control: Control, email_id: str, index: str) -> Response:
    email = next((e for e in control.sent_emails() if e.id == email_id), None)
    if email is None or not index.isdigit() or int(index) >= len(email.attachments):
        raise ApiError(404, {"detail": "Not found."})
    item = email.attachments[int(index)]
    # Checked when sent, but a --data file may hold what an older sandbox let through.
    content_type = item.content_type if is_media_type(item.content_type) else _OCTET_STREAM
    return (
        200,
        item.content,
        {
            "Content-Type": content_type,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.filename)}",
            # Never render an attachment as a page of the inbox's origin.
            "Content-Security-Policy": "sandbox",
            "X-Content-Type-Options": "nosniff",
        },
    )


def serve(control: Control, request: Request) -> Response:
    """Answer ``GET /``, ``/inbox/stamp`` and ``/inbox/emails/<id>/attachments/<n>``."""
    if request.method not in ("GET", "HEAD"):
        raise ApiError(405, {"detail": f'Method "{request.method}" not allowed.'}, {"Allow": "GET"})
    segments = request.segments
    if segments == [""]:
        html, nonce = _page(control)
        policy = (
            f"default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}';"
            " img-src * data:; connect-src 'self'"
        )
        return 200, html, {"Content-Security-Policy": policy, "Cache-Control": "no-store"}
    if segments == ["inbox", "stamp"]:
        stamp = _stamp(control.state())
        return 200, stamp.encode("ascii"), {"Content-Type": "text/plain; charset=utf-8"}
    if len(segments) == 5 and segments[:2] == ["inbox", "emails"] and segments[3] == "attachments":
        return _attachment(control, segments[2], segments[4])
    raise ApiError(404, {"detail": "Not found."})
