"""Series refs: stored encrypted and audited, refused where the series keeps no voice data,
uploaded by editors through the API, deleted with privacy mode, re-encrypted by rotate-keys."""
from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from cryptography.fernet import Fernet
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from dubsite.errors import Forbidden, Invalid
from dubsite.models import AuditEvent
from media.audio import save
from series.services import character_create, series_update
from tests.factories import make_series, make_user, make_video
from voices import crypto
from voices.models import VoiceRef
from voices.services import RefsOff, voice_ref_latest, voice_ref_read, voice_ref_store

pytestmark = pytest.mark.django_db


def tone_wav(path, seconds=3.0, rate=22050):
    t = np.arange(int(seconds * rate)) / rate
    return save(path, (0.3 * np.sin(2 * np.pi * 140 * t)).astype(np.float32), rate)


@pytest.fixture
def character():
    return character_create(actor=None, series=make_series(slug="memo"))


def test_store_encrypts_audits_and_reads_back(character, tmp_path):
    wav = tone_wav(tmp_path / "ref.wav")
    ref = voice_ref_store(actor=make_user("editor"), character=character, wav=wav, source="upload")
    with default_storage.open(ref.blob, "rb") as fh:
        at_rest = fh.read()
    plain = wav.read_bytes()
    # a Fernet token is base64 text: "RIFF" can turn up in it by chance, the audio cannot
    assert not at_rest.startswith(b"RIFF") and not ref.blob.endswith(".wav")
    assert plain[:64] not in at_rest and plain[1000:1064] not in base64.urlsafe_b64decode(at_rest)
    assert voice_ref_read(ref) == wav.read_bytes()
    assert ref.seconds == pytest.approx(3.0, abs=0.01) and ref.sample_rate == 22050
    assert voice_ref_latest(character) == ref
    assert AuditEvent.objects.filter(action="voice_ref.store", target_id=str(character.pk)).count() == 1


def test_ref_blobs_are_never_served_as_files(character, tmp_path):
    """Not even encrypted: voice data is heard only through the refs API's permission check."""
    ref = voice_ref_store(actor=None, character=character, wav=tone_wav(tmp_path / "ref.wav"), source="job")
    for role in ("viewer", "admin"):
        client = Client()
        client.force_login(make_user(role))
        assert client.get(f"/media/{ref.blob}").status_code == 404
        assert client.get(f"/media/jobs/../{ref.blob}").status_code == 404


def test_refused_without_permission_privacy_memory_or_keys(character, tmp_path, settings):
    wav = tone_wav(tmp_path / "ref.wav")
    with pytest.raises(Forbidden):
        voice_ref_store(actor=make_user("viewer"), character=character, wav=wav, source="upload")
    with pytest.raises(Invalid):
        voice_ref_store(actor=None, character=character, wav=tone_wav(tmp_path / "short.wav", 0.4), source="job")
    series_update(actor=make_user("admin"), series=character.series, voice_memory=False)
    character.refresh_from_db()
    with pytest.raises(RefsOff, match="voice memory off"):
        voice_ref_store(actor=None, character=character, wav=wav, source="job")
    series_update(actor=make_user("admin"), series=character.series, voice_memory=True)
    character.refresh_from_db()
    settings.DUBSITE_ENCRYPTION_KEYS = []
    with pytest.raises(RefsOff, match="DUBSITE_ENCRYPTION_KEYS is not set"):
        voice_ref_store(actor=None, character=character, wav=wav, source="job")
    assert not VoiceRef.objects.exists()


def test_privacy_mode_deletes_refs_and_their_blobs(character, tmp_path, django_capture_on_commit_callbacks):
    ref = voice_ref_store(actor=None, character=character, wav=tone_wav(tmp_path / "ref.wav"), source="job")
    assert default_storage.exists(ref.blob)
    with django_capture_on_commit_callbacks(execute=True):
        series_update(actor=make_user("admin"), series=character.series, privacy_mode=True)
    assert not VoiceRef.objects.exists() and not default_storage.exists(ref.blob)
    assert AuditEvent.objects.filter(action="voice_ref.delete_all").exists()
    character.refresh_from_db()
    with pytest.raises(RefsOff, match="privacy mode"):
        voice_ref_store(actor=None, character=character, wav=tone_wav(tmp_path / "ref.wav"), source="job")


@pytest.mark.parametrize("role, list_code, upload_code", [
    ("anonymous", 401, 401), ("viewer", 403, 403), ("operator", 200, 403), ("editor", 200, 201), ("admin", 200, 201),
])
def test_api_list_and_upload_by_role(role, list_code, upload_code, character, tmp_path):
    client = Client()
    if role != "anonymous":
        client.force_login(make_user(role))
    clip = make_video(tmp_path / "clip.mp4", seconds=3.0)  # any format with audio: it is converted
    with open(clip, "rb") as fh:
        response = client.post(f"/api/characters/{character.pk}/refs", {"file": fh})
    assert response.status_code == upload_code, response.content
    if upload_code == 201:
        body = response.json()
        assert body["character"] == character.code and body["source"] == "upload"
        assert body["sample_rate"] == 22050 and body["seconds"] == pytest.approx(3.0, abs=0.1)
    response = client.get(f"/api/characters/{character.pk}/refs")
    assert response.status_code == list_code
    if list_code == 200:
        assert len(response.json()) == (1 if upload_code == 201 else 0)


def test_api_refuses_bad_uploads_with_reasons(character, tmp_path):
    client = Client()
    client.force_login(make_user("editor"))
    text = SimpleUploadedFile("notes.wav", b"not audio at all" * 10)
    response = client.post(f"/api/characters/{character.pk}/refs", {"file": text})
    assert response.status_code == 422 and response.json()["fields"]["file"]
    short = io.BytesIO(tone_wav(tmp_path / "short.wav", 0.5).read_bytes())
    short.name = "short.wav"
    response = client.post(f"/api/characters/{character.pk}/refs", {"file": short})
    assert response.status_code == 422 and "1–60 s" in response.json()["message"]
    assert client.get("/api/characters/999999/refs").status_code == 404
    assert not VoiceRef.objects.exists()


def test_rotate_keys_command(character, tmp_path, settings):
    old, new = settings.DUBSITE_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    ref = voice_ref_store(actor=None, character=character, wav=tone_wav(tmp_path / "ref.wav"), source="job")
    plain = voice_ref_read(ref)
    settings.DUBSITE_ENCRYPTION_KEYS = [new]
    with pytest.raises(crypto.InvalidToken):  # the new key alone cannot read the old data yet
        voice_ref_read(ref)
    settings.DUBSITE_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("voices", "rotate-keys", stdout=out)
    assert "re-encrypted 1 series ref" in out.getvalue()
    settings.DUBSITE_ENCRYPTION_KEYS = [new]  # the old key can go now
    old_blob = ref.blob
    ref.refresh_from_db()
    assert voice_ref_read(ref) == plain
    assert ref.blob != old_blob and not default_storage.exists(old_blob)  # no stale copy under the old key
    assert AuditEvent.objects.filter(action="voice_ref.rotate_keys").exists()


def test_deleting_a_series_deletes_its_refs_and_blobs(character, tmp_path, django_capture_on_commit_callbacks):
    from series.services import series_delete

    ref = voice_ref_store(actor=None, character=character, wav=tone_wav(tmp_path / "ref.wav"), source="job")
    with django_capture_on_commit_callbacks(execute=True):
        series_delete(actor=make_user("admin"), series=character.series)
    assert not VoiceRef.objects.exists() and not default_storage.exists(ref.blob)
