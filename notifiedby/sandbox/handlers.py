"""One function per API endpoint: check the input, act on the store, shape the answer.

Each takes the control and the request and returns ``(status, body)`` or raises ApiError;
list endpoints return a :class:`Page` that the app paginates. The app runs a handler inside
one store transaction, after :func:`prepare` has done what needs no lock.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from datetime import datetime, time, timezone
from typing import Any

import attrs

from notifiedby.sandbox import wire
from notifiedby.sandbox.control import Control, email_content
from notifiedby.sandbox.crypto import InvalidEncryptionKey, seal
from notifiedby.sandbox.delivery import record_email
from notifiedby.sandbox.wire import ApiError, Request

__all__ = [
    "Page",
    "clear_flags",
    "delete_subscriptions",
    "email_delivery",
    "email_detail",
    "list_emails",
    "list_recipients",
    "list_subscriptions",
    "prepare",
    "send_email",
    "set_flags",
    "subscribe",
    "unsubscribe",
    "upsert_recipient",
]

Result = tuple[int, Any]
Handler = Callable[[Control, Request], Result]
_NOT_FOUND = {"detail": "Not found."}


@attrs.frozen
class Page:
    """A list answer not yet cut into pages: how to count and how to fetch a slice."""

    count: Callable[[], int]
    fetch: Callable[[int, int], list[Any]]
    bare: bool = False


def _fields(request: Request) -> dict[str, Any]:
    fields, uploads = wire.parse_body(request)
    if uploads:
        raise ApiError(400, {"attachment": ["Attachments are only accepted by email send."]})
    return fields


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise wire.field_errors(errors)


def _filter(control: Control, request: Request, name: str) -> str | None:
    return None if control.options["ignore_filters"] else request.param(name) or None


def _encryption_key(request: Request) -> str | None:
    return request.header("encryption-key") or None


def prepare(handler: Handler, control: Control, request: Request) -> Handler:
    """Do the part of ``handler`` that needs no lock; return the part to run under it.

    Sealing and opening content cost a scrypt run each, tens of milliseconds: done before
    the store's lock is taken, they don't hold up every other request.
    """
    early = _EARLY.get(handler)
    if early is None:
        return handler
    try:
        return early(control, request)
    except ApiError as error:
        # Raised where the handler would raise it, so an Idempotency-Key remembers it.
        return functools.partial(_refuse, error)


def _refuse(error: ApiError, control: Control, request: Request) -> Result:
    raise error


# --- email --------------------------------------------------------------------------------


def _seal_send(control: Control, request: Request) -> Handler:
    """Check a send and seal its content; return the part that stores it."""
    data, uploads = wire.parse_body(request)
    errors: dict[str, list[str]] = {}
    recipient = wire.email(data, "recipient", errors)
    subject = wire.text(data, "subject", errors, required=True)
    body = wire.text(data, "body", errors, required=True)
    plain_body = wire.text(data, "plain_body", errors, required=False)
    first_name = wire.text(data, "first_name", errors, required=False)
    last_name = wire.text(data, "last_name", errors, required=False)
    flags = wire.flags(data, "flags", errors, required=False)
    use_template = wire.boolean(data, "use_account_template", errors, default=True)
    _raise_if(errors)
    assert recipient is not None
    assert subject is not None
    assert body is not None
    content = json.dumps(
        {
            "body": body,
            "plain_body": plain_body,
            "attachments": [
                {
                    "filename": upload.filename,
                    "content_type": upload.content_type,
                    "content": base64.b64encode(upload.content).decode("ascii"),
                }
                for upload in uploads
            ],
        }
    ).encode("utf-8")
    key = _encryption_key(request)
    stored = seal(key, content) if key else content

    def store(control: Control, request: Request) -> Result:
        limit = control.daily_limit
        midnight = datetime.combine(control.store.now().date(), time(0), tzinfo=timezone.utc)
        if limit is not None and control.store.sent_since(midnight) >= limit:
            raise ApiError(429, {"error": f"Daily limit of {limit} emails has been reached"})
        row, blocked = record_email(
            control.store,
            recipient=recipient,
            subject=subject,
            content=stored,
            encrypted=key is not None,
            delay=control.options["delivery_delay"],
            first_name=first_name,
            last_name=last_name,
            flags=flags,
            use_account_template=use_template,
            idempotency_key=request.header("idempotency-key"),
        )
        if blocked:
            return 200, {"id": row["sqid"], "error": "Recipient is blocked"}
        return 200, {"id": row["sqid"]}

    return store


def send_email(control: Control, request: Request) -> Result:
    return _seal_send(control, request)(control, request)


def list_emails(control: Control, request: Request) -> Result:
    recipient = _filter(control, request, "recipient")

    def fetch(offset: int, limit: int) -> list[Any]:
        rows = control.store.emails(recipient, offset, limit)
        return [
            {"recipient": r["recipient"], "subject": r["subject"], "created_on": r["created_on"]}
            for r in rows
        ]

    return 200, Page(lambda: control.store.count_emails(recipient), fetch)


def _open_detail(control: Control, request: Request) -> Handler:
    """Find the email and open its content; return the part that answers."""
    sqid = request.param("id")
    address = request.param("email") or request.param("recipient")
    if sqid:
        row = control.store.find_email(sqid)
    elif address:
        row = control.store.latest_email(address)
    else:
        detail = (
            "Provide sqid in URL path or as query parameter (id=<sqid>) "
            "or email=<address> as query parameter."
        )
        raise ApiError(400, {"detail": detail})
    if row is None:
        raise ApiError(404, _NOT_FOUND)
    try:
        content = email_content(row, _encryption_key(request))
    except InvalidEncryptionKey:
        raise ApiError(400, {"detail": "Invalid encryption key."}) from None
    answer = {
        "recipient": row["recipient"],
        "subject": row["subject"],
        "created_on": row["created_on"],
        "body": content["body"] if content else None,
    }
    if row["encrypted"] and content is None:
        answer["encrypted"] = True
    return lambda control, request: (200, answer)


def email_detail(control: Control, request: Request) -> Result:
    return _open_detail(control, request)(control, request)


def email_delivery(control: Control, request: Request) -> Result:
    sqid = request.param("id")
    if not sqid:
        detail = "Provide sqid in URL path or as query parameter (id=<sqid>)."
        raise ApiError(400, {"detail": detail})
    row = control.store.find_email(sqid)
    if row is None:
        raise ApiError(404, {"error": "Email not found"})
    return 200, {"id": row["sqid"], "status": row["status"], "ses_id": row["ses_id"]}


# --- flows and subscriptions ----------------------------------------------------------------


def _flow_and_email(
    control: Control, request: Request
) -> tuple[dict[str, Any], str, dict[str, Any]]:
    data = _fields(request)
    errors: dict[str, list[str]] = {}
    trigger = wire.text(data, "flow_trigger", errors, required=True)
    email = wire.email(data, "email", errors)
    _raise_if(errors)
    assert trigger is not None
    assert email is not None
    flow = control.store.get_flow(trigger)
    if flow is None:
        raise ApiError(400, {"detail": f"Flow with trigger '{trigger}' does not exist."})
    return flow, email, data


def subscribe(control: Control, request: Request) -> Result:
    flow, email, data = _flow_and_email(control, request)
    errors: dict[str, list[str]] = {}
    first_name = wire.text(data, "first_name", errors, required=False)
    last_name = wire.text(data, "last_name", errors, required=False)
    flags = wire.flags(data, "flags", errors, required=False)
    _raise_if(errors)
    if not flow["steps"]:
        raise ApiError(400, {"detail": f"Flow '{flow['name']}' has no steps."})
    if control.store.active_subscription(email, flow["trigger"]) is not None:
        detail = f"Recipient '{email}' is already subscribed to flow '{flow['name']}'."
        raise ApiError(400, {"detail": detail})
    control.store.upsert_recipient(email, first_name=first_name, last_name=last_name, flags=flags)
    subscription = control.store.add_subscription(email, flow)
    control.engine.start(subscription)
    detail = f"Recipient '{email}' successfully subscribed to flow '{flow['name']}'."
    return 201, {"detail": detail, "subscription_id": subscription["id"]}


def unsubscribe(control: Control, request: Request) -> Result:
    flow, email, _ = _flow_and_email(control, request)
    subscription = control.store.active_subscription(email, flow["trigger"])
    if subscription is None:
        detail = f"Recipient '{email}' has no active subscription to flow '{flow['name']}'."
        raise ApiError(400, {"detail": detail})
    control.store.cancel_subscription(subscription["id"])
    detail = f"Recipient '{email}' successfully unsubscribed from flow '{flow['name']}'."
    return 200, {"detail": detail}


def list_subscriptions(control: Control, request: Request) -> Result:
    email = _filter(control, request, "email")
    trigger = _filter(control, request, "flow_trigger")
    return 200, Page(
        lambda: control.store.count_subscriptions(email, trigger),
        lambda offset, limit: control.store.subscriptions(email, trigger, offset, limit),
        bare=control.options["bare_subscription_list"],
    )


def delete_subscriptions(control: Control, request: Request) -> Result:
    email, trigger = request.param("email"), request.param("flow_trigger")
    errors = {
        name: ["This field is required."]
        for name in ("email", "flow_trigger")
        if not request.param(name)
    }
    _raise_if(errors)
    assert email is not None
    assert trigger is not None
    if control.store.delete_subscriptions(email, trigger) == 0:
        raise ApiError(404, _NOT_FOUND)
    return 204, None


# --- recipients and flags -------------------------------------------------------------------


def upsert_recipient(control: Control, request: Request) -> Result:
    data = _fields(request)
    errors: dict[str, list[str]] = {}
    email = wire.email(data, "email", errors)
    first_name = wire.text(data, "first_name", errors, required=False)
    last_name = wire.text(data, "last_name", errors, required=False)
    flags = wire.flags(data, "flags", errors, required=False)
    _raise_if(errors)
    assert email is not None
    recipient, created = control.store.upsert_recipient(
        email, first_name=first_name, last_name=last_name, flags=flags
    )
    return (201 if created else 200), recipient


def list_recipients(control: Control, request: Request) -> Result:
    email = _filter(control, request, "email")
    return 200, Page(
        lambda: control.store.count_recipients(email),
        lambda offset, limit: control.store.recipients(email, offset, limit),
    )


def _change_flags(control: Control, request: Request, *, add: bool) -> Result:
    data = _fields(request)
    errors: dict[str, list[str]] = {}
    email = wire.email(data, "email", errors)
    flags = wire.flags(data, "flags", errors, required=True)
    _raise_if(errors)
    assert email is not None
    if not control.store.change_flags(email, flags, add=add):
        raise ApiError(404, _NOT_FOUND)
    verb = "set" if add else "cleared"
    return 200, {"message": f'Flags {flags!r} {verb} for recipient "{email}".'}


def set_flags(control: Control, request: Request) -> Result:
    return _change_flags(control, request, add=True)


def clear_flags(control: Control, request: Request) -> Result:
    return _change_flags(control, request, add=False)


#: Handlers with work to do before the lock: handler -> that work, returning the rest.
_EARLY: dict[Handler, Callable[[Control, Request], Handler]] = {
    send_email: _seal_send,
    email_detail: _open_detail,
}
