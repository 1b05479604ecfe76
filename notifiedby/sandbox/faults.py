"""Injected faults and the record of requests received."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import attrs

__all__ = ["DropConnection", "Fault", "FaultSet", "RecordedRequest", "Recorder"]

#: How many requests the recorder keeps; the oldest go first.
RECORD_LIMIT = 10_000


class DropConnection(Exception):
    """Raised inside the app to make the server reset the connection without answering."""


def _upper(method: str | None) -> str | None:
    return method.upper() if method else None


@attrs.define(kw_only=True)
class Fault:
    """One rule of trouble: what to do, to which requests, how often."""

    id: int
    status: int | None = attrs.field(default=None)
    retry_after: str | None = None
    body: Any = None
    latency: float = attrs.field(default=0.0, validator=attrs.validators.ge(0.0))
    drop: bool = False
    count: int | None = None
    rate: float | None = None
    seed: int | None = None
    method: str | None = attrs.field(default=None, converter=_upper)
    path: str | None = None
    after: bool = False
    hits: int = 0
    _random: random.Random = attrs.field(init=False, repr=False)

    @status.validator
    def _check_status(self, attribute: attrs.Attribute[Any], value: int | None) -> None:
        if value is not None and not 400 <= value <= 599:
            raise ValueError(f"status must be an error status (400-599), got {value!r}")

    def __attrs_post_init__(self) -> None:
        if self.status is None and not self.drop and not self.latency:
            raise ValueError("a fault needs at least one of status, latency or drop")
        if self.count is not None and self.count < 1:
            raise ValueError(f"count must be 1 or more, got {self.count!r}")
        if self.rate is not None and not 0 < self.rate <= 1:
            raise ValueError(f"rate is a probability above 0 and at most 1, got {self.rate!r}")
        if self.rate is None and self.count is None:
            self.count = 1
        self._random = random.Random(self.seed)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )

    def fires(self) -> bool:
        """Decide for one matching request; use up one of ``count``."""
        if self.rate is not None and self._random.random() >= self.rate:
            return False
        if self.count is not None:
            self.count -= 1
        self.hits += 1
        return True

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.count <= 0

    def response_body(self) -> Any:
        if self.body is not None:
            return self.body
        assert self.status is not None
        if self.status == 429:
            return {"detail": "Request was throttled."}
        return {"detail": HTTPStatus(self.status).phrase}

    def to_dict(self) -> dict[str, Any]:
        return attrs.asdict(self, filter=lambda attribute, _: attribute.name != "_random")


class FaultSet:
    """The active faults, in the order they were added; the first that fires wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1

    def add(self, **options: Any) -> Fault:
        with self._lock:
            fault = Fault(id=self._next_id, **options)
            self._next_id += 1
            self._faults.append(fault)
            return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def pick(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path) and fault.fires():
                    if fault.exhausted:
                        self._faults.remove(fault)
                    return fault
            return None

    def to_list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.to_dict() for fault in self._faults]


@attrs.define(kw_only=True)
class RecordedRequest:
    """A request the sandbox received, with its secrets redacted."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    #: The raw body; None when the request carried an Encryption-Key (no plaintext kept).
    body: bytes | None = attrs.field(repr=False)
    json: Any = attrs.field(repr=False)
    connection_id: int
    status: int | None = None
    fault: dict[str, Any] | None = None

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Copy headers, keeping only the last 4 characters of the API key and none of the
    encryption key."""
    redacted = {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme, _, secret = value.partition(" ")
            value = f"{scheme} ...{secret[-4:]}" if len(secret) > 8 else f"{scheme} [redacted]"
        elif name.lower() == "encryption-key":
            value = "[redacted]"
        redacted[name] = value
    return redacted


class Recorder:
    """The requests received, oldest first, up to RECORD_LIMIT."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: deque[RecordedRequest] = deque(maxlen=RECORD_LIMIT)

    def add(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def to_list(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)
