"""Voice data at rest: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with rotation.

Keys come from DUBSITE_ENCRYPTION_KEYS only (comma-separated, newest first). New data is
encrypted with the newest key; older keys still decrypt until `manage.py voices rotate-keys`
has re-encrypted everything. Without keys, voice data is not stored at all.
"""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

__all__ = ["EncryptionUnavailable", "available", "encrypt", "decrypt", "rotate", "InvalidToken"]


class EncryptionUnavailable(Exception):
    pass


def _fernet() -> MultiFernet:
    keys = list(settings.DUBSITE_ENCRYPTION_KEYS)
    if not keys:
        raise EncryptionUnavailable("DUBSITE_ENCRYPTION_KEYS is not set: voice data is not stored")
    try:
        return MultiFernet([Fernet(k.encode("ascii")) for k in keys])
    except (ValueError, UnicodeEncodeError) as exc:
        raise EncryptionUnavailable(f"DUBSITE_ENCRYPTION_KEYS holds a malformed key ({exc})") from exc


def available() -> tuple[bool, str]:
    try:
        _fernet()
    except EncryptionUnavailable as exc:
        return False, str(exc)
    return True, ""


def encrypt(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    """Plaintext; InvalidToken when no configured key opens it (a key was dropped too early)."""
    return _fernet().decrypt(token)


def rotate(token: bytes) -> bytes:
    """The same data encrypted with the newest key."""
    return _fernet().rotate(token)
