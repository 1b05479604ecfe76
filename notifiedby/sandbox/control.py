"""The sandbox's engine room: state, faults, options, and the controls tests and users call."""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs

from notifiedby.sandbox import delivery
from notifiedby.sandbox.crypto import InvalidEncryptionKey, open_sealed
from notifiedby.sandbox.engine import Engine
from notifiedby.sandbox.faults import Fault, FaultSet, RecordedRequest, Recorder
from notifiedby.sandbox.flows import MAX_WAIT, check_steps, is_amount, load_flows
from notifiedby.sandbox.store import Store, format_time

__all__ = ["DEFAULT_OPTIONS", "EXAMPLE_FLOWS", "Attachment", "Control", "SentEmail"]

DEFAULT_OPTIONS: dict[str, Any] = {
    "ignore_page_size": False,
    "ignore_filters": False,
    "bare_subscription_list": False,
    "page_size": 50,
    # Seconds of sandbox time from send to outcome; 0 settles an email on the next read.
    "delivery_delay": 0.0,
}
MAX_PAGE_SIZE = 500

#: The flows the package documentation's examples use, each with a few steps.
EXAMPLE_FLOWS: list[dict[str, Any]] = [
    {
        "trigger": "WELCOME_SIGNUP",
        "name": "Welcome Signup Flow",
        "steps": [
            {
                "type": "email",
                "subject": "Welcome, {first_name}!",
                "body": "<p>Glad you are here.</p>",
            },
            {"type": "wait", "days": 2},
            {"type": "condition", "flag": "onboarded", "if_true": "end", "if_false": "next"},
            {"type": "email", "subject": "Three tips to get started", "body": "<p>Tips.</p>"},
        ],
    },
    {
        "trigger": "PREMIUM_ONBOARDING",
        "name": "Premium Onboarding Flow",
        "steps": [
            {"type": "email", "subject": "Welcome to Premium", "body": "<p>Thank you.</p>"},
            {"type": "wait", "days": 3},
            {"type": "email", "subject": "Getting the most from Premium", "body": "<p>Ideas.</p>"},
        ],
    },
    {
        "trigger": "REENGAGE_INACTIVE",
        "name": "Re-engage Inactive Flow",
        "steps": [
            {"type": "email", "subject": "We miss you, {first_name}", "body": "<p>Come back.</p>"},
            {"type": "wait", "days": 7},
            {"type": "action", "action": "set_flag", "flag": "reengage_sent"},
        ],
    },
]


@attrs.frozen
class Attachment:
    filename: str
    content_type: str
    content: bytes = attrs.field(repr=lambda content: f"<{len(content)} bytes>")


@attrs.frozen(kw_only=True)
class SentEmail:
    """Everything a send received.

    Content fields are None when it was stored encrypted and none of the sandbox's
    ``encryption_keys`` opens it; ``encrypted`` says how it is stored either way.
    """

    id: str
    recipient: str
    subject: str
    body: str | None = attrs.field(repr=False)
    plain_body: str | None = attrs.field(repr=False)
    attachments: tuple[Attachment, ...] = ()
    encrypted: bool
    first_name: str | None
    last_name: str | None
    flags: tuple[str, ...]
    use_account_template: bool
    status: str
    ses_id: str | None
    blocked: bool
    created_on: datetime
    idempotency_key: str | None
    #: The trigger of the flow that sent it; None for an email sent through the API.
    flow_trigger: str | None = None


def email_content(row: sqlite3.Row, encryption_key: str | None) -> dict[str, Any] | None:
    """Return a stored email's body, plain body and attachments, decrypting with the key.

    None when the content is encrypted and no key is given; InvalidEncryptionKey when the key
    does not open it.
    """
    if row["encrypted"]:
        if not encryption_key:
            return None
        raw = open_sealed(encryption_key, row["content"])
    else:
        raw = row["content"]
    content: dict[str, Any] = json.loads(raw)
    return content


def _sent_email(row: sqlite3.Row, content: dict[str, Any] | None) -> SentEmail:
    attachments = tuple(
        Attachment(item["filename"], item["content_type"], base64.b64decode(item["content"]))
        for item in (content or {}).get("attachments", [])
    )
    return SentEmail(
        id=row["sqid"],
        recipient=row["recipient"],
        subject=row["subject"],
        body=content["body"] if content else None,
        plain_body=content["plain_body"] if content else None,
        attachments=attachments,
        encrypted=bool(row["encrypted"]),
        first_name=row["first_name"],
        last_name=row["last_name"],
        flags=tuple(json.loads(row["flags"])),
        use_account_template=bool(row["use_account_template"]),
        status=row["status"],
        ses_id=row["ses_id"],
        blocked=bool(row["blocked"]),
        created_on=datetime.fromisoformat(row["created_on"].replace("Z", "+00:00")),
        idempotency_key=row["idempotency_key"],
        flow_trigger=row["flow_trigger"],
    )


class Control:
    """Holds the store, faults, record and options, and performs every control action."""

    def __init__(
        self,
        store: Store,
        api_keys: list[str],
        *,
        empty: bool = False,
        delivery_delay: float = 0.0,
        encryption_keys: list[str] | None = None,
    ) -> None:
        self.store = store
        self.api_keys = api_keys
        self._encryption_keys: tuple[str, ...] = ()
        self.encryption_keys = encryption_keys or []
        #: Called on every view of a sealed email for more keys: the test helpers' way to
        #: use whatever key the project's settings name at that moment.
        self.key_finders: list[Callable[[], list[str]]] = []
        # scrypt costs tens of milliseconds per email and key, and a test reads the views
        # many times: remember which key opened an email (and what it held), and which didn't.
        self._opened: dict[str, tuple[str, dict[str, Any]]] = {}
        self._refused: set[tuple[str, str]] = set()
        self.empty = empty
        self.faults = FaultSet()
        self.recorder = Recorder()
        # What reset() returns to: the defaults with the constructor's choices.
        self._defaults = {**DEFAULT_OPTIONS}
        self._defaults.update(self._checked_options({"delivery_delay": delivery_delay}))
        self.engine = Engine(store, lambda: float(self.options["delivery_delay"]))
        # Set on reset so requests waiting out injected latency give up instead of acting
        # on the next test's state.
        self._reset_event = threading.Event()
        if not empty and not store.flows():
            self._load_example_flows()

    def _load_example_flows(self) -> None:
        with self.store.transaction():
            for flow in EXAMPLE_FLOWS:
                self.store.define_flow(flow["trigger"], flow["name"], flow["steps"])

    # --- controls -------------------------------------------------------------------

    def define_flow(
        self, trigger: str, name: str | None = None, steps: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        if not isinstance(trigger, str) or not trigger.strip():
            raise ValueError("trigger must be a non-empty string")
        if name is not None and not isinstance(name, str):
            raise ValueError("name must be a string")
        steps = check_steps([] if steps is None else steps)
        default_name = trigger.replace("_", " ").title() + " Flow"
        return self.store.define_flow(trigger, name or default_name, steps)

    def load_flows(self, path: str | Path) -> list[dict[str, Any]]:
        """Define every flow of a JSON or TOML flows file; nothing is defined if one is bad."""
        flows = load_flows(path)
        return [self.define_flow(f["trigger"], f.get("name"), f.get("steps")) for f in flows]

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> dict[str, Any]:
        """Move the sandbox clock forward, running due flow steps and deliveries in order."""
        amounts = {"days": days, "hours": hours, "minutes": minutes, "seconds": seconds}
        for name, value in amounts.items():
            if not is_amount(value):
                raise ValueError(f"{name} must be a number >= 0")
        total = days * 86400 + hours * 3600 + minutes * 60 + seconds
        if total > MAX_WAIT.total_seconds():
            raise ValueError(f"the clock moves at most {MAX_WAIT.days} days at a time")
        self.engine.advance(timedelta(seconds=total))
        return self.clock()

    def clock(self) -> dict[str, Any]:
        """The sandbox time and how far it runs ahead of the wall clock."""
        return {
            "now": format_time(self.store.now()),
            "offset_seconds": self.store.clock_offset.total_seconds(),
        }

    def block(self, email: str) -> None:
        self.store.block(email)

    def unblock(self, email: str) -> None:
        self.store.unblock(email)

    def set_daily_limit(self, limit: int | None) -> None:
        if limit is not None and (
            not isinstance(limit, int) or isinstance(limit, bool) or limit < 0
        ):
            raise ValueError("daily_limit must be a whole number of emails, or None for no limit")
        self.store.set_setting("daily_limit", limit)

    @property
    def daily_limit(self) -> int | None:
        limit: int | None = self.store.get_setting("daily_limit")
        return limit

    def inject_fault(self, **options: Any) -> Fault:
        if options.get("retry_after") is not None:
            options["retry_after"] = str(options["retry_after"])
        return self.faults.add(**options)

    def clear_faults(self) -> None:
        self.faults.clear()

    @property
    def options(self) -> dict[str, Any]:
        return {**self._defaults, **self.store.get_setting("options", {})}

    @staticmethod
    def _checked_options(options: dict[str, Any]) -> dict[str, Any]:
        unknown = set(options) - set(DEFAULT_OPTIONS)
        if unknown:
            allowed = ", ".join(sorted(DEFAULT_OPTIONS))
            raise ValueError(f"unknown option {', '.join(sorted(unknown))}; options are {allowed}")
        size = options.get("page_size", 1)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}")
        delay = options.get("delivery_delay", 0.0)
        if not is_amount(delay) or delay > MAX_WAIT.total_seconds():
            limit = int(MAX_WAIT.total_seconds())
            raise ValueError(f"delivery_delay must be a number of seconds from 0 to {limit}")
        for name in set(options) - {"page_size", "delivery_delay"}:
            if not isinstance(options[name], bool):
                raise ValueError(f"{name} must be true or false")
        return options

    def configure(self, **options: Any) -> dict[str, Any]:
        merged = {**self.options, **self._checked_options(options)}
        self.store.set_setting("options", merged)
        return merged

    @property
    def encryption_keys(self) -> list[str]:
        """The keys the views try on sealed emails; storage stays encrypted."""
        return list(self._encryption_keys)

    @encryption_keys.setter
    def encryption_keys(self, keys: list[str]) -> None:
        keys = list(keys)
        if not all(isinstance(key, str) and key for key in keys):
            raise ValueError("encryption_keys must be non-empty strings")
        self._encryption_keys = tuple(dict.fromkeys(keys))

    def _content(self, row: sqlite3.Row) -> dict[str, Any] | None:
        """The email's content, opened by the first key that fits; None if none does."""
        if not row["encrypted"]:
            return email_content(row, None)
        sqid: str = row["sqid"]
        keys = [*self._encryption_keys, *(key for find in self.key_finders for key in find())]
        opened = self._opened.get(sqid)
        if opened is not None and opened[0] in keys:
            return opened[1]
        for key in keys:
            if (sqid, key) in self._refused:
                continue
            try:
                content = email_content(row, key)
            except InvalidEncryptionKey:
                self._refused.add((sqid, key))
                continue
            if content is not None:
                self._opened[sqid] = (key, content)
            return content
        return None

    def reset(self) -> None:
        """Drop all state, faults, options and the request record."""
        self.wake_sleepers()
        with self.store.transaction():
            self._opened.clear()
            self._refused.clear()
            self.store.reset()
            self.faults.clear()
            self.recorder.clear()
            self.engine.clear()
            if not self.empty:
                self._load_example_flows()

    def wake_sleepers(self) -> None:
        """End every wait for injected latency at once."""
        self._reset_event.set()
        self._reset_event = threading.Event()

    def sleep(self, seconds: float) -> bool:
        """Wait out injected latency; return False when a reset cut the wait short."""
        return not self._reset_event.wait(seconds)

    # --- views ----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.recorder.to_list()

    def settle(self) -> None:
        """Give emails whose delivery time has come their outcome (views call this first)."""
        delivery.settle(self.store)

    def sent_emails(self) -> list[SentEmail]:
        """Every email sent, oldest first; sealed ones without content unless a key opens them."""
        self.settle()
        rows = self.store.emails(newest_first=False)
        return [_sent_email(row, self._content(row)) for row in rows]

    def decrypted_email(self, email_id: str, encryption_key: str) -> SentEmail:
        """One email with its content opened by the key it was sent with."""
        self.settle()
        row = self.store.find_email(email_id)
        if row is None:
            raise KeyError(email_id)
        return _sent_email(row, email_content(row, encryption_key))

    def state(self) -> dict[str, Any]:
        """Everything but email content and secrets, as JSON-ready data."""
        emails = [
            {
                "id": email.id,
                "recipient": email.recipient,
                "subject": email.subject,
                "status": email.status,
                "blocked": email.blocked,
                "encrypted": email.encrypted,
                "attachments": [a.filename for a in email.attachments],
                "created_on": email.created_on.isoformat().replace("+00:00", "Z"),
                "flow_trigger": email.flow_trigger,
            }
            for email in self.sent_emails()
        ]
        return {
            "recipients": self.store.recipients(),
            "subscriptions": self.store.subscriptions(),
            "emails": emails,
            "flows": self.store.flows(),
            "blocked": self.store.blocked(),
            "daily_limit": self.daily_limit,
            "faults": self.faults.to_list(),
            "options": self.options,
            "webhook_calls": self.engine.webhook_calls,
            "clock": self.clock(),
        }
