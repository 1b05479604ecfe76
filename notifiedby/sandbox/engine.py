"""The flow engine and the sandbox clock: subscriptions advance one step at a time.

A subscription sits on a step (``current_step_order``) until it is due (``next_send_date``):
now for an email, condition or action; when the wait ends for a wait, or as soon as the
recipient has the flag a wait-until-flag step is waiting for. Nothing runs by itself: the
engine runs what is due when the clock is advanced (``advance()``, which with no time runs
what is due now) or, in real-time mode, every second. Due work runs in time order across
every subscription and pending delivery, so a step sees what earlier ones did.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from notifiedby._version import __version__
from notifiedby.sandbox import delivery
from notifiedby.sandbox.flows import duration, render, target_step
from notifiedby.sandbox.store import Store, format_time

__all__ = ["Engine", "is_loopback"]

logger = logging.getLogger("notifiedby.sandbox")

#: How long a webhook call may take; the flow waits for it.
WEBHOOK_TIMEOUT = 5.0


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def is_loopback(url: str) -> bool:
    """True when ``url`` points at this machine, the only place the sandbox calls."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A loopback server could redirect elsewhere; the sandbox stays on this machine.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def call_webhook(url: str, payload: dict[str, Any]) -> tuple[int | None, str]:
    """POST ``payload`` as JSON to a loopback ``url``; return the HTTP status and an outcome."""
    if not is_loopback(url):
        return None, "not called: the sandbox only calls loopback addresses"
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked when the flow is defined)
        url,
        data=json.dumps(payload).encode("utf-8"),
        headers={
            "Content-Type": "application/json",
            "User-Agent": f"NotifiedBySandbox/{__version__}",
        },
        method="POST",
    )
    try:
        with _OPENER.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            return response.status, "ok"
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, f"HTTP {error.code}"
    except (OSError, ValueError) as error:
        return None, f"failed: {getattr(error, 'reason', error)}"


class Engine:
    """Runs flows and settles deliveries against the sandbox clock."""

    def __init__(self, store: Store, delivery_delay: Callable[[], float]) -> None:
        self.store = store
        self._delivery_delay = delivery_delay
        # One run at a time: advance() from a test and the real-time thread must not interleave.
        self._running = threading.Lock()
        self._calls: list[dict[str, Any]] = []
        self._calls_lock = threading.Lock()
        self._stop_ticking = threading.Event()
        self._ticker: threading.Thread | None = None

    # --- subscriptions --------------------------------------------------------------

    def start(self, subscription: dict[str, Any]) -> None:
        """Put a new subscription on its first step."""
        flow = self.store.get_flow(subscription["flow_trigger"])
        assert flow is not None
        self._go_to(subscription["id"], flow["steps"], 1, self.store.now(), current=1)

    def _go_to(
        self,
        subscription_id: int,
        steps: list[dict[str, Any]],
        number: int | None,
        at: datetime,
        *,
        current: int,
    ) -> None:
        """Move to step ``number`` (None or past the end: complete, staying on ``current``)."""
        if number is None or number > len(steps):
            self.store.move_subscription(subscription_id, current, None, "completed")
            return
        step = steps[number - 1]
        due = at + duration(step) if step["type"] == "wait" else at
        self.store.move_subscription(subscription_id, number, due, "active")

    def _flag_waiters(self, now: datetime) -> list[dict[str, Any]]:
        """Subscriptions on a wait-until-flag step whose recipient now has the flag."""
        ready = []
        for flow in self.store.flows():
            for number, step in enumerate(flow["steps"], 1):
                if step["type"] != "wait" or "until_flag" not in step:
                    continue
                for subscription in self.store.subscriptions_on_step(flow["trigger"], number):
                    recipient = self.store.find_recipient(subscription["recipient_email"])
                    if recipient is not None and step["until_flag"] in recipient["flags"]:
                        ready.append(subscription)
        return ready

    def _next_event(self, until: datetime) -> tuple[datetime, dict[str, Any] | None] | None:
        """Return the earliest work due by ``until`` (or by now, if later): a subscription,
        or None for deliveries.

        At equal times deliveries go first, then subscriptions in the order they were made.
        """
        # The wall clock moves while the engine works; what falls due meanwhile runs too.
        now = self.store.now()
        until = max(until, now)
        candidates: list[tuple[datetime, int, dict[str, Any] | None]] = []
        pending = self.store.next_delivery()
        if pending is not None:
            candidates.append((_parse_time(pending), 0, None))
        first = self.store.next_due_subscription()
        if first is not None:
            candidates.append((_parse_time(first["next_send_date"]), first["id"], first))
        # A wait-until-flag step is due as soon as its flag is there, whatever its timeout.
        for waiter in self._flag_waiters(now):
            due = min(_parse_time(waiter["next_send_date"]), now)
            candidates.append((due, waiter["id"], waiter))
        if not candidates:
            return None
        due, _, subscription = min(candidates, key=lambda item: item[:2])
        return (due, subscription) if due <= until else None

    def _run_step(self, subscription: dict[str, Any], at: datetime) -> dict[str, Any] | None:
        """Carry out the subscription's current step; return a webhook call to make, if any."""
        flow = self.store.get_flow(subscription["flow_trigger"])
        recipient = self.store.find_recipient(subscription["recipient_email"])
        # Neither is ever deleted while a subscription refers to it.
        assert flow is not None
        assert recipient is not None
        steps: list[dict[str, Any]] = flow["steps"]
        number = subscription["current_step_order"]
        if number > len(steps):  # the flow was redefined shorter under this subscription
            self._go_to(subscription["id"], steps, None, at, current=number)
            return None
        step = steps[number - 1]
        following: int | None = number + 1  # a wait that is due is over: go on
        call = None
        if step["type"] == "email":
            self._send(flow, step, recipient)
        elif step["type"] == "condition":
            branch = "if_true" if step["flag"] in recipient["flags"] else "if_false"
            following = target_step(step.get(branch, "next"), steps, number)
        elif step["type"] == "action" and step["action"] == "webhook":
            call = {
                "url": step["url"],
                "flow_trigger": flow["trigger"],
                "subscription_id": subscription["id"],
                "step": number,
                "payload": {
                    "event": "flow.webhook",
                    "flow_trigger": flow["trigger"],
                    "flow_name": flow["name"],
                    "subscription_id": subscription["id"],
                    "step": number,
                    "recipient": {
                        key: recipient[key] for key in ("email", "first_name", "last_name", "flags")
                    },
                    "sent_at": format_time(at),
                },
            }
        elif step["type"] == "action":
            self._act(step["action"], step.get("flag"), recipient["email"])
        self._go_to(subscription["id"], steps, following, at, current=number)
        return call

    def _send(self, flow: dict[str, Any], step: dict[str, Any], recipient: dict[str, Any]) -> None:
        names = {"first_name": recipient["first_name"], "last_name": recipient["last_name"]}
        plain = step.get("plain_body")
        content: dict[str, Any] = {
            # Names go into HTML escaped, so a name can't inject markup into the email.
            "body": render(step["body"], names, escape=html.escape),
            "plain_body": None if plain is None else render(plain, names),
            "attachments": [],
        }
        delivery.record_email(
            self.store,
            recipient=recipient["email"],
            subject=render(step["subject"], names),
            content=json.dumps(content).encode("utf-8"),
            encrypted=False,
            delay=self._delivery_delay(),
            first_name=recipient["first_name"],
            last_name=recipient["last_name"],
            flow_trigger=flow["trigger"],
        )

    def _act(self, action: str, flag: str | None, email: str) -> None:
        if action == "suppress":
            self.store.block(email)
        else:
            assert flag is not None
            self.store.change_flags(email, [flag], add=action == "set_flag")

    # --- the clock ------------------------------------------------------------------

    def advance(self, delta: timedelta = timedelta(0)) -> datetime:
        """Move the clock forward by ``delta``, running what falls due on the way, in order.

        With no ``delta``, run what is due now. Return the new sandbox time.
        """
        with self._running:
            until = self.store.now() + delta
            while True:
                # One transaction per step, so a crash never leaves a step half done.
                with self.store.transaction():
                    event = self._next_event(until)
                    if event is None:
                        break
                    # A step that was overdue still counts from when it was due, so a wait
                    # after it ends on schedule however late the clock was moved.
                    at, subscription = event
                    self.store.move_clock(at)
                    call = None
                    if subscription is None:
                        delivery.settle(self.store, at)
                    else:
                        call = self._run_step(subscription, at)
                # Called without the store's lock: the webhook's receiver may call the sandbox.
                if call is not None:
                    self._call(call, at)
            self.store.move_clock(until)
        return until

    def _call(self, call: dict[str, Any], at: datetime) -> None:
        status, outcome = call_webhook(call["url"], call["payload"])
        with self._calls_lock:
            self._calls.append(
                {**call, "called_at": format_time(at), "status": status, "outcome": outcome}
            )

    @property
    def webhook_calls(self) -> list[dict[str, Any]]:
        """Every webhook call flows made (or refused to make), oldest first."""
        with self._calls_lock:
            return list(self._calls)

    def clear(self) -> None:
        """Forget the webhook calls (the store is reset separately)."""
        with self._calls_lock:
            self._calls.clear()

    # --- real time ------------------------------------------------------------------

    def run_in_real_time(self, interval: float = 1.0) -> None:
        """Run what is due every ``interval`` seconds of wall time, in a background thread."""
        if self._ticker is not None:
            return
        self._stop_ticking.clear()

        def tick() -> None:
            while not self._stop_ticking.wait(interval):
                try:
                    self.advance()
                except Exception:
                    logger.exception("The flow engine failed; it tries again in %s s", interval)

        self._ticker = threading.Thread(target=tick, name="notifiedby-sandbox-clock", daemon=True)
        self._ticker.start()

    def stop_real_time(self) -> None:
        """Stop the background thread, if one runs; safe to call twice."""
        self._stop_ticking.set()
        if self._ticker is not None:
            self._ticker.join()
            self._ticker = None
