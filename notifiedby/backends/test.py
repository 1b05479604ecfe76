"""``NotifiedByTestBackend``: the backend's pipeline without the network, for tests.

``EMAIL_BACKEND = "notifiedby.backends.test.NotifiedByTestBackend"`` (or a ``MAILERS``
entry) in test settings, or :func:`notifiedby.testing.route_django_mail` around a test.
It needs neither pytest nor an API key.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

from notifiedby._mapping import EmailPayload
from notifiedby.backends import NotifiedByEmailBackend

__all__ = ["NotifiedByTestBackend"]

_test_ids = itertools.count(1)


class NotifiedByTestBackend(NotifiedByEmailBackend):
    """Run the real backend's pipeline without the network, keeping copies in mail.outbox.

    Messages are checked and mapped exactly as for sending (unsupported features raise),
    every address is ``sent`` with an id ``"test-<n>"``, and each copy in ``mail.outbox``
    carries ``notifiedby_status`` and ``notifiedby_payload`` (what the API would receive).
    """

    needs_api_key = False

    def open(self) -> bool:
        """Open nothing: there is no client."""
        return False

    def close(self) -> None:
        """Close nothing."""

    def build_payload(self, message: Any) -> EmailPayload:
        """Map the message as the real backend does, and keep the result on it."""
        payload = super().build_payload(message)
        message.notifiedby_payload = payload
        return payload

    def post_to_api(self, payload: EmailPayload, address: str, idempotency_key: str) -> Any:
        """Answer as the API would for an accepted send."""
        return {"id": f"test-{next(_test_ids)}"}

    def send_message(self, message: Any) -> None:
        """Send through the pipeline, then keep a copy in ``mail.outbox``."""
        from django.core import mail

        super().send_message(message)
        if message.notifiedby_status.recipients:
            if not hasattr(mail, "outbox"):
                mail.outbox = []
            # The memo shares this backend (which Django may have stored as the message's
            # connection) instead of copying it: its lock can't be copied.
            mail.outbox.append(copy.deepcopy(message, {id(self): self}))
