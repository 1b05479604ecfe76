"""The durable, encrypted email outbox (docs/reliability.md).

``OutboxEmailBackend`` queues Django email in the caller's transaction; :func:`deliver`
sends what is due; ``manage.py notifiedby_outbox`` runs workers and maintenance.
"""

from __future__ import annotations

from notifiedby.outbox.crypto import OUTBOX_KEYS, generate_key, load_keys
from notifiedby.outbox.delivery import RetryPolicy, deliver, enqueue, is_permanent
from notifiedby.outbox.maintenance import counts, purge, retry_failed, rotate_keys

__all__ = [
    "OUTBOX_KEYS",
    "RetryPolicy",
    "counts",
    "deliver",
    "enqueue",
    "generate_key",
    "is_permanent",
    "load_keys",
    "purge",
    "retry_failed",
    "rotate_keys",
]
