"""The sandbox's state: one SQLite database, in memory or in a file.

Every method takes the store's lock, so the threaded server can share one connection. A
statement commits on its own unless it runs inside :meth:`Store.transaction`, which the API
holds around each call so that its writes and its idempotency record commit together. Rows
come back as the dicts the API shows; the HTTP layer adds nothing but pagination.

The connection, transactions, clock, settings and idempotency records are in
``database``; the queries of each data table in ``recipient_rows``, ``email_rows`` and
``flow_rows``.
"""

from __future__ import annotations

from notifiedby.sandbox.database import format_time
from notifiedby.sandbox.email_rows import EmailRows
from notifiedby.sandbox.flow_rows import FlowRows
from notifiedby.sandbox.recipient_rows import RecipientRows

__all__ = ["Store", "format_time"]


class Store(RecipientRows, EmailRows, FlowRows):
    """The sandbox's data, behind one lock."""
