"""Encryption at rest of stored email content, keyed by the customer's ``Encryption-Key``.

AES-256-GCM under a key derived from the customer's key by scrypt with a random salt per
email. A sealed blob is ``version | salt | nonce | ciphertext+tag``; neither the key nor the
derived key is kept anywhere.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = ["InvalidEncryptionKey", "open_sealed", "seal"]

_VERSION = b"\x01"
_SALT_BYTES = 16
_NONCE_BYTES = 12
# scrypt cost: about 16 MiB and a few tens of milliseconds per email, which keeps a stolen
# database expensive to attack without making a test suite slow.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1


class InvalidEncryptionKey(Exception):
    """The key given does not open this blob (or the blob was tampered with)."""


def _derive(key: str, salt: bytes) -> bytes:
    kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return kdf.derive(key.encode("utf-8"))


def seal(key: str, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` under ``key``; return the self-describing sealed blob."""
    salt = os.urandom(_SALT_BYTES)
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = AESGCM(_derive(key, salt)).encrypt(nonce, plaintext, _VERSION)
    return _VERSION + salt + nonce + ciphertext


def open_sealed(key: str, blob: bytes) -> bytes:
    """Decrypt a blob made by :func:`seal`; raise InvalidEncryptionKey for a wrong key."""
    header = len(_VERSION) + _SALT_BYTES + _NONCE_BYTES
    if len(blob) < header or blob[:1] != _VERSION:
        raise InvalidEncryptionKey("not a sealed blob")
    salt = blob[1 : 1 + _SALT_BYTES]
    nonce = blob[1 + _SALT_BYTES : header]
    try:
        return AESGCM(_derive(key, salt)).decrypt(nonce, blob[header:], _VERSION)
    except InvalidTag:
        raise InvalidEncryptionKey("the key does not open this content") from None
