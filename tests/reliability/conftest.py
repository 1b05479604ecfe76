"""Shared limits for the property tests and fuzzing: bounded, reproducible, no example database."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

#: Reproducible in CI (the same examples each run) and bounded to a few seconds per test.
#: Examples reuse one sandbox per test, which the function-scoped fixture check can't know.
BOUNDED = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
