"""Injected faults and the record of requests received."""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
from collections import deque
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import attrs

__all__ = ["DropConnection", "Fault", "FaultSet", "RecordedRequest", "Recorder"]

#: How many requests the recorder keeps; the oldest go first.
RECORD_LIMIT = 10_000
#: How many bytes of bodies, headers and paths the recorder keeps, all requests together.
RECORD_BYTES = 32 * 1024 * 1024
#: A body up to this size is kept as bytes; a larger one as its size and SHA-256 only.
KEEP_BODY_BYTES = 1024 * 1024
#: What one record costs beyond its text (the objects that hold it), for the byte budget.
_RECORD_OVERHEAD = 512

#: A Retry-After value is written as a header: visible ASCII and spaces only.
_HEADER_TEXT = re.compile(r"[\x20-\x7e]*")


class DropConnection(Exception):
    """Raised inside the app to make the server reset the connection without answering."""


def _upper(method: str | None) -> str | None:
    return method.upper() if method else None


@attrs.define(kw_only=True)
class Fault:
    """One rule of trouble: what to do, to which requests, how often."""

    id: int
    status: int | None = attrs.field(default=None)
    retry_after: str | None = attrs.field(default=None)
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

    @retry_after.validator
    def _check_retry_after(self, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is not None and not _HEADER_TEXT.fullmatch(value):
            raise ValueError(
                f"retry_after must be printable ASCII (seconds or a date), got {value!r}"
            )

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
    connection_id: int
    #: The raw body; None when it was not read (no valid API key), when the request carried
    #: an Encryption-Key (no plaintext kept), or when it was over KEEP_BODY_BYTES.
    body: bytes | None = attrs.field(default=None, repr=False)
    #: The body's length in bytes, whether or not it was kept.
    body_size: int = 0
    #: The body's SHA-256 (hex) when it was too big to keep; None otherwise.
    body_sha256: str | None = None
    status: int | None = None
    fault: dict[str, Any] | None = None

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")

    @property
    def json(self) -> Any:
        """The kept body decoded as JSON when it was sent as JSON; None otherwise."""
        if self.body is None or "json" not in self.headers.get("Content-Type", ""):
            return None
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    def keep_body(self, body: bytes, *, secret: bool) -> None:
        """Record ``body``: its bytes if small, else its SHA-256; only its size if ``secret``."""
        self.body_size = len(body)
        if secret:
            return
        if len(body) <= KEEP_BODY_BYTES:
            self.body = body
        else:
            self.body_sha256 = hashlib.sha256(body).hexdigest()

    @property
    def weight(self) -> int:
        """Roughly how many bytes this record holds, for the recorder's budget."""
        text = sum(len(name) + len(value) for name, value in self.headers.items())
        text += sum(len(name) + sum(map(len, values)) for name, values in self.query.items())
        return _RECORD_OVERHEAD + len(self.path) + text + len(self.body or b"")


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
    """The requests received, oldest first, up to RECORD_LIMIT of them and RECORD_BYTES."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Each record with its weight as it was when added, so eviction subtracts the same.
        self._requests: deque[tuple[RecordedRequest, int]] = deque()
        self._bytes = 0

    def add(self, request: RecordedRequest) -> None:
        """Keep ``request`` (its body already set), dropping the oldest to stay in budget."""
        weight = request.weight
        with self._lock:
            self._requests.append((request, weight))
            self._bytes += weight
            while len(self._requests) > RECORD_LIMIT or (
                self._bytes > RECORD_BYTES and len(self._requests) > 1
            ):
                self._bytes -= self._requests.popleft()[1]

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._bytes = 0

    @property
    def total_bytes(self) -> int:
        """What the kept records weigh, in bytes."""
        with self._lock:
            return self._bytes

    def to_list(self) -> list[RecordedRequest]:
        with self._lock:
            return [request for request, _ in self._requests]
