"""Encryption at rest of outbox content, with key rotation.

``NOTIFIEDBY_OUTBOX_KEYS`` is a list of Fernet keys (AES-128-CBC with HMAC-SHA256,
authenticated): the first encrypts, every one decrypts, so a new key goes first and an old
one stays until :func:`rotate` has re-encrypted the rows under it. In the environment the
keys are one comma-separated string. ``manage.py notifiedby_outbox --generate-key`` makes one.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from notifiedby.conf import get_setting
from notifiedby.exceptions import NotifiedByConfigError

__all__ = [
    "OUTBOX_KEYS",
    "decrypt",
    "decrypt_json",
    "encrypt",
    "generate_key",
    "load_keys",
    "to_keys",
]

OUTBOX_KEYS: Final = "NOTIFIEDBY_OUTBOX_KEYS"


def to_keys(value: Any) -> list[str]:
    """Return the keys of a list, or of a comma-separated string; ValueError when one is
    not a Fernet key (naming its position, never the key)."""
    keys = value.split(",") if isinstance(value, str) else value
    if not isinstance(keys, (list, tuple)) or not all(isinstance(k, str) for k in keys):
        raise ValueError("must be a list of Fernet keys (strings)")
    keys = [key.strip() for key in keys if key.strip()]
    if not keys:
        raise ValueError("is empty")
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            # Never echo the key: name its position only.
            raise ValueError(
                f"has an invalid key at position {position} (a Fernet key is 32 url-safe "
                "base64-encoded bytes; make one with manage.py notifiedby_outbox --generate-key)"
            ) from None
    return keys


def load_keys(keys: list[str] | None = None) -> MultiFernet:
    """Return the cipher for ``keys``, or for the ``NOTIFIEDBY_OUTBOX_KEYS`` setting."""
    return MultiFernet([Fernet(key) for key in get_setting(OUTBOX_KEYS, keys, convert=to_keys)])


def generate_key() -> str:
    """Return a new random key for ``NOTIFIEDBY_OUTBOX_KEYS``."""
    return Fernet.generate_key().decode("ascii")


def encrypt(cipher: MultiFernet, content: dict[str, Any]) -> bytes:
    """Return ``content`` (JSON-able, attachment bytes allowed) as an encrypted token."""
    return cipher.encrypt(json.dumps(content, default=_bytes_to_json).encode("utf-8"))


def decrypt_json(cipher: MultiFernet, token: bytes, *, unopened: str) -> dict[str, Any]:
    """Return the JSON object encrypted in ``token``; NotifiedByConfigError with the message
    ``unopened`` when no key opens it. Bytes stay base64 text: the caller knows where."""
    try:
        plain = cipher.decrypt(bytes(token))
    except InvalidToken:
        raise NotifiedByConfigError(unopened) from None
    content: dict[str, Any] = json.loads(plain)
    return content


def decrypt(cipher: MultiFernet, token: bytes) -> dict[str, Any]:
    """Return the content of an outbox message; NotifiedByConfigError when no key opens it."""
    unopened = f"No key in {OUTBOX_KEYS} opens this outbox message (was its key removed?)."
    content = decrypt_json(cipher, token, unopened=unopened)
    content["attachments"] = [
        (name, base64.b64decode(data), mimetype) for name, data, mimetype in content["attachments"]
    ]
    return content


def _bytes_to_json(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
