"""What the email backend reads from a Django message and what it writes back onto it.

Read: the per-message options (``first_name``, ``last_name``, ``flags``,
``use_account_template``, ``notifiedby_idempotency_keys``,
``notifiedby_ignore_suppression``), as attributes of any
``EmailMessage`` or as keyword arguments of :class:`NotifiedByMessage`.
Written: ``message.notifiedby_status``, a :class:`NotifiedByStatus`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import attrs
from django.core.mail import EmailMultiAlternatives

from notifiedby.exceptions import NotifiedByError

__all__ = [
    "STATUSES",
    "NotifiedByMessage",
    "NotifiedByStatus",
    "RecipientState",
    "RecipientStatus",
]

#: ``sent``: the API accepted it; ``rejected``: accepted but not delivered (a blocked
#: recipient), or not sent because the address is suppressed; ``failed``: not accepted (the
#: error says why), or not tried after a failure that would have struck every address alike
#: (an outage); ``queued``: stored in the outbox, to be sent after the transaction commits
#: (``OutboxEmailBackend``).
RecipientState = Literal["sent", "rejected", "failed", "queued"]
STATUSES: frozenset[str] = frozenset({"sent", "rejected", "failed", "queued"})


@attrs.frozen(kw_only=True)
class RecipientStatus:
    """The outcome for one address of a message."""

    address: str
    status: RecipientState = attrs.field(validator=attrs.validators.in_(STATUSES))
    #: The id the API gave the email (also for ``rejected``); None when it failed.
    email_id: str | None = None
    #: Why it failed; None unless ``failed``.
    error: NotifiedByError | None = attrs.field(default=None, eq=False)
    #: Why it was refused before any request (a suppressed address); None otherwise.
    reason: str | None = None
    #: The Idempotency-Key the send carried (see ``notifiedby_idempotency_keys``).
    idempotency_key: str = attrs.field(default="", repr=False)


@attrs.define(kw_only=True, repr=False)
class NotifiedByStatus:
    """The outcome of the latest send of one message, address by address."""

    #: Address -> its outcome, in the order the addresses were sent to.
    recipients: dict[str, RecipientStatus] = attrs.field(factory=dict)

    @property
    def status(self) -> frozenset[str]:
        """The set of the addresses' statuses (empty when nothing was sent)."""
        return frozenset(r.status for r in self.recipients.values())

    @property
    def email_ids(self) -> tuple[str, ...]:
        """The ids the API gave, in address order."""
        return tuple(r.email_id for r in self.recipients.values() if r.email_id is not None)

    def __repr__(self) -> str:
        by_address = ", ".join(f"{a!r}: {r.status}" for a, r in sorted(self.recipients.items()))
        return f"NotifiedByStatus(status={sorted(self.status)!r}, recipients={{{by_address}}})"


class NotifiedByMessage(EmailMultiAlternatives):
    """An ``EmailMultiAlternatives`` with the NotifiedBy options as typed keyword arguments.

    A plain ``EmailMessage`` works too: set the same attributes on it.
    """

    def __init__(
        self,
        *args: Any,
        first_name: str | None = None,
        last_name: str | None = None,
        flags: str | Iterable[str] | None = None,
        use_account_template: bool | None = None,
        ignore_suppression: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        #: The recipient's first and last name, for the account template and the recipient
        #: record (the API stores them on the recipient). None sends none.
        self.first_name = first_name
        self.last_name = last_name
        #: Flags to set on every recipient of this message.
        self.flags = flags
        #: Wrap the body in the account's template; None: the backend's setting.
        self.use_account_template = use_account_template
        #: Send even to suppressed addresses (mail that must go, such as a password reset).
        self.notifiedby_ignore_suppression = ignore_suppression
        #: Address -> Idempotency-Key; filled by the backend, or beforehand by you.
        self.notifiedby_idempotency_keys: dict[str, str] = {}
        #: The outcome of the latest send; None before the first.
        self.notifiedby_status: NotifiedByStatus | None = None
