"""The NotifiedBy SDK and Django integration.

Public names are imported lazily, so ``import notifiedby`` stays cheap and does not pull in
Django's mail machinery or ``requests`` until a name that needs them is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from notifiedby._lazy import lazy_names
from notifiedby._version import __version__

if TYPE_CHECKING:
    from notifiedby.backends import NotifiedByEmailBackend as NotifiedByEmailBackend
    from notifiedby.backends import send_email_via_api as send_email_via_api
    from notifiedby.client import NotifiedByClient as NotifiedByClient
    from notifiedby.functions import clear_recipient_flags as clear_recipient_flags
    from notifiedby.functions import create_or_update_recipient as create_or_update_recipient
    from notifiedby.functions import create_recipient as create_recipient
    from notifiedby.functions import delete_all_subscriptions as delete_all_subscriptions
    from notifiedby.functions import get_delivery_status as get_delivery_status
    from notifiedby.functions import get_email_delivery_status as get_email_delivery_status
    from notifiedby.functions import get_email_detail as get_email_detail
    from notifiedby.functions import list_emails as list_emails
    from notifiedby.functions import list_flow_subscriptions as list_flow_subscriptions
    from notifiedby.functions import list_recipients as list_recipients
    from notifiedby.functions import list_sent_emails as list_sent_emails
    from notifiedby.functions import set_recipient_flags as set_recipient_flags
    from notifiedby.functions import subscribe_to_flow as subscribe_to_flow
    from notifiedby.functions import unsubscribe_from_flow as unsubscribe_from_flow
    from notifiedby.message import NotifiedByMessage as NotifiedByMessage
    from notifiedby.message import NotifiedByStatus as NotifiedByStatus
    from notifiedby.query import Q as Q
    from notifiedby.resources import Email as Email
    from notifiedby.resources import Flow as Flow
    from notifiedby.resources import Recipient as Recipient
    from notifiedby.resources import Subscription as Subscription

#: Public name -> the module that defines it.
_LAZY: dict[str, str] = {
    "NotifiedByClient": "notifiedby.client",
    "NotifiedByEmailBackend": "notifiedby.backends",
    "NotifiedByMessage": "notifiedby.message",
    "NotifiedByStatus": "notifiedby.message",
    "Q": "notifiedby.query",
    "send_email_via_api": "notifiedby.backends",
    "Email": "notifiedby.resources",
    "Flow": "notifiedby.resources",
    "Recipient": "notifiedby.resources",
    "Subscription": "notifiedby.resources",
    "clear_recipient_flags": "notifiedby.functions",
    "create_or_update_recipient": "notifiedby.functions",
    "create_recipient": "notifiedby.functions",
    "delete_all_subscriptions": "notifiedby.functions",
    "get_delivery_status": "notifiedby.functions",
    "get_email_delivery_status": "notifiedby.functions",
    "get_email_detail": "notifiedby.functions",
    "list_emails": "notifiedby.functions",
    "list_flow_subscriptions": "notifiedby.functions",
    "list_recipients": "notifiedby.functions",
    "list_sent_emails": "notifiedby.functions",
    "set_recipient_flags": "notifiedby.functions",
    "subscribe_to_flow": "notifiedby.functions",
    "unsubscribe_from_flow": "notifiedby.functions",
}

__all__ = ["__version__", *_LAZY]


__getattr__, __dir__ = lazy_names(__name__, globals(), _LAZY)
