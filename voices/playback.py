"""Hearing voice data: decrypt a stored token into WAV bytes and answer it to a permitted user.

Every route that plays a ref (the series-ref and job-ref pages and API endpoints) goes through
here, so a missing blob is a 404, a blob no configured key opens is one clear 409 (never a
traceback), and no response is kept by a browser or proxy cache.
"""
from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import HttpResponse

from dubsite.errors import Conflict, NotFound

from . import crypto

__all__ = ["VoiceDataLocked", "LOCKED_MESSAGE", "read_encrypted", "decrypt_voice", "wav_response"]

LOCKED_MESSAGE = "voice data cannot be decrypted: the encryption key that wrote it is not configured"


class VoiceDataLocked(Conflict):
    """Stored voice data that no key in DUBSITE_ENCRYPTION_KEYS opens (a key dropped too early)."""


def decrypt_voice(token: bytes) -> bytes:
    try:
        return crypto.decrypt(token)
    except crypto.InvalidToken:
        raise VoiceDataLocked(f"{LOCKED_MESSAGE} (DUBSITE_ENCRYPTION_KEYS)") from None
    except crypto.EncryptionUnavailable as exc:  # no keys at all, or a malformed one
        raise VoiceDataLocked(f"{LOCKED_MESSAGE}: {exc}") from None


def read_encrypted(name: str) -> bytes:
    """The plaintext of the encrypted blob stored as `name` (straight from storage: nothing is
    written to a work folder, so hearing a finished job's ref leaves no file behind)."""
    try:
        with default_storage.open(name, "rb") as fh:
            token = fh.read()
    except (FileNotFoundError, OSError):
        raise NotFound("the voice data is no longer stored") from None
    return decrypt_voice(token)


def wav_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="audio/wav")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"  # voice data: not in any shared or disk cache
    response["Content-Length"] = str(len(data))
    return response
