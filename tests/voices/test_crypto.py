"""Voice data encryption: Fernet with key rotation, keys only from settings."""
from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet

from voices import crypto

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_round_trip_and_the_token_hides_the_audio(settings):
    settings.DUBSITE_ENCRYPTION_KEYS = [NEW]
    wav = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(200))
    token = crypto.encrypt(wav)
    # the token is base64 text ("RIFF" may turn up in it by chance); the audio must not, raw or decoded
    assert not token.startswith(b"RIFF") and wav[:16] not in token
    assert wav[12:44] not in base64.urlsafe_b64decode(token)
    assert crypto.decrypt(token) == wav


def test_rotation_old_key_still_reads_until_rotated(settings):
    settings.DUBSITE_ENCRYPTION_KEYS = [OLD]
    token = crypto.encrypt(b"voice")
    settings.DUBSITE_ENCRYPTION_KEYS = [NEW, OLD]  # a new key in front, the old one kept
    assert crypto.decrypt(token) == b"voice"
    rotated = crypto.rotate(token)
    settings.DUBSITE_ENCRYPTION_KEYS = [NEW]  # the old key retired
    assert crypto.decrypt(rotated) == b"voice"
    with pytest.raises(crypto.InvalidToken):
        crypto.decrypt(token)


def test_no_or_malformed_keys_are_reported(settings):
    settings.DUBSITE_ENCRYPTION_KEYS = []
    assert crypto.available() == (False, "DUBSITE_ENCRYPTION_KEYS is not set: voice data is not stored")
    with pytest.raises(crypto.EncryptionUnavailable):
        crypto.encrypt(b"x")
    settings.DUBSITE_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    ok, why = crypto.available()
    assert not ok and "malformed" in why
