"""``Sandbox``: a sandbox server on a loopback port, with Python access to its state."""

from __future__ import annotations

import os
import secrets
import threading
from datetime import datetime
from types import TracebackType
from typing import Any

from notifiedby.sandbox.app import SandboxApp
from notifiedby.sandbox.control import Control, SentEmail
from notifiedby.sandbox.faults import Fault, RecordedRequest
from notifiedby.sandbox.hosts import AllowedHosts
from notifiedby.sandbox.server import POLL_INTERVAL, SandboxServer
from notifiedby.sandbox.store import Store

__all__ = ["Sandbox"]


class Sandbox:
    """A NotifiedBy API server on a loopback port, with Python access to its state.

    ``with Sandbox() as sb:`` starts it on a free port; point a client at ``sb.url`` with
    ``sb.api_key``. Without ``api_keys`` one key is generated. ``data`` keeps state in a
    SQLite file; ``empty`` starts without the example flows. ``delivery_delay`` is how many
    seconds of sandbox time an email stays ``pending``. ``real_time`` runs due flow steps
    every second by the wall clock; otherwise they run when ``advance()`` is called.
    ``encryption_keys`` open sealed emails in the inbox and in :attr:`emails`; they are still
    stored encrypted. It answers requests whose Host is ``localhost``, ``127.0.0.1``,
    ``[::1]`` or the bound address, on its port, or one of ``allowed_hosts`` (``name``: on
    any port; ``name:port``); others get 400, so a web page can't reach it by DNS rebinding.
    """

    def __init__(
        self,
        api_keys: list[str] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        data: str | os.PathLike[str] | None = None,
        empty: bool = False,
        delivery_delay: float = 0.0,
        real_time: bool = False,
        encryption_keys: list[str] | None = None,
        allowed_hosts: list[str] | None = None,
    ) -> None:
        hosts = AllowedHosts(allowed_hosts or ())
        keys = list(api_keys) if api_keys else [f"sbx_{secrets.token_urlsafe(24)}"]
        if not all(isinstance(key, str) and key.strip() for key in keys):
            raise ValueError("api_keys must be non-empty strings")
        store = Store(os.fspath(data) if data else None)
        try:
            self.control = Control(
                store,
                keys,
                empty=empty,
                delivery_delay=delivery_delay,
                encryption_keys=encryption_keys,
            )
        except ValueError:
            store.close()
            raise
        self.real_time = real_time
        self._app = SandboxApp(self.control, hosts)
        self._address = (host, port)
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.url if self._server else "stopped"
        return f"<Sandbox {where}>"

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Bind and serve in a background thread; return self."""
        if self._server is None:
            self._server = SandboxServer(self._address, self._app)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": POLL_INTERVAL},
                name="notifiedby-sandbox",
                daemon=True,
            )
            self._thread.start()
            if self.real_time:
                self.control.engine.run_in_real_time()
        return self

    def wait(self) -> None:
        """Block until the server stops (or the thread is interrupted, as by Ctrl-C)."""
        # A timed join keeps the main thread responsive to KeyboardInterrupt.
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop serving and close the store; safe to call twice."""
        self.control.engine.stop_real_time()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.control.wake_sleepers()
        self.control.store.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- where it is ----------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, without ``/v1``: ``http://127.0.0.1:54321``."""
        if self._server is None:
            raise RuntimeError(
                "The sandbox is not running: call start() or use it in a with block."
            )
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_key(self) -> str:
        return self.control.api_keys[0]

    @property
    def api_keys(self) -> list[str]:
        return list(self.control.api_keys)

    # --- state ----------------------------------------------------------------------

    @property
    def recipients(self) -> list[dict[str, Any]]:
        return self.control.store.recipients()

    @property
    def subscriptions(self) -> list[dict[str, Any]]:
        return self.control.store.subscriptions()

    @property
    def emails(self) -> list[SentEmail]:
        """Every email sent, oldest first; sealed ones opened by :attr:`encryption_keys`."""
        return self.control.sent_emails()

    @property
    def encryption_keys(self) -> list[str]:
        """The keys that open sealed emails for the inbox and :attr:`emails`."""
        return self.control.encryption_keys

    @encryption_keys.setter
    def encryption_keys(self, keys: list[str]) -> None:
        self.control.encryption_keys = keys

    def decrypted_email(self, email_id: str, encryption_key: str) -> SentEmail:
        """An email sent with an Encryption-Key, with its content opened by that key."""
        return self.control.decrypted_email(email_id, encryption_key)

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.control.requests

    @property
    def flows(self) -> list[dict[str, Any]]:
        return self.control.store.flows()

    @property
    def webhook_calls(self) -> list[dict[str, Any]]:
        """The webhook calls flows made, oldest first, each with its ``status`` and ``outcome``."""
        return self.control.engine.webhook_calls

    @property
    def now(self) -> datetime:
        """The sandbox clock: the wall clock plus every ``advance()``."""
        return self.control.store.now()

    # --- controls -------------------------------------------------------------------

    def define_flow(
        self, trigger: str, name: str | None = None, steps: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        return self.control.define_flow(trigger, name, steps)

    def load_flows(self, path: str | os.PathLike[str]) -> list[dict[str, Any]]:
        """Define the flows of a JSON or TOML file (see docs/sandbox.md for its format)."""
        return self.control.load_flows(os.fspath(path))

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> datetime:
        """Move the sandbox clock forward, running due flow steps and deliveries in time order.

        With no arguments, run what is due now (a new subscription's first email, say).
        Return the new sandbox time.
        """
        self.control.advance(days=days, hours=hours, minutes=minutes, seconds=seconds)
        return self.now

    def block(self, email: str) -> None:
        self.control.block(email)

    def unblock(self, email: str) -> None:
        self.control.unblock(email)

    def set_daily_limit(self, limit: int | None) -> None:
        self.control.set_daily_limit(limit)

    def inject_fault(
        self,
        status: int | None = None,
        *,
        retry_after: float | str | None = None,
        body: Any = None,
        latency: float = 0.0,
        drop: bool = False,
        count: int | None = None,
        rate: float | None = None,
        seed: int | None = None,
        method: str | None = None,
        path: str | None = None,
        after: bool = False,
    ) -> Fault:
        """Make matching requests fail; see docs/sandbox.md for the fields."""
        return self.control.inject_fault(
            status=status,
            retry_after=retry_after,
            body=body,
            latency=latency,
            drop=drop,
            count=count,
            rate=rate,
            seed=seed,
            method=method,
            path=path,
            after=after,
        )

    def clear_faults(self) -> None:
        self.control.clear_faults()

    def configure(self, **options: Any) -> dict[str, Any]:
        """Set server behaviours: ignore_page_size, ignore_filters, bare_subscription_list,
        page_size, delivery_delay."""
        return self.control.configure(**options)

    def reset(self) -> None:
        self.control.reset()
