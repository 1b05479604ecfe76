"""The Celery app the end-to-end test's workers run: its broker comes from the environment."""

from __future__ import annotations

import os

from celery import Celery

app = Celery(
    "notifiedby_tests",
    broker=os.environ["NOTIFIEDBY_TEST_BROKER"],
    backend=os.environ["NOTIFIEDBY_TEST_BROKER"],
    include=["notifiedby.tasks"],
)
prefix = os.environ["NOTIFIEDBY_TEST_PREFIX"]
app.conf.update(
    # A key prefix per test run: the machine's Redis may be shared with other runs.
    broker_transport_options={"global_keyprefix": prefix},
    result_backend_transport_options={"global_keyprefix": prefix},
    task_default_queue=prefix + "tasks",
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    result_extended=True,  # results name the worker that ran the task
    result_expires=300,
    broker_connection_retry_on_startup=True,
)
