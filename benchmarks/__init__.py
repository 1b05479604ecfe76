"""Benchmarks of the SDK against raw requests: ``make bench`` or ``python -m benchmarks``."""
