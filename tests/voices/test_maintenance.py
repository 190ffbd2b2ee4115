"""Key rotation reaches every kind of voice data; jobs' plain WAV refs from older versions get
encrypted. After `rotate-keys`, the old key can go and everything still reads."""
from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from dubsite.models import AuditEvent
from jobs.artifacts import Workspace
from tests.factories import make_series
from tests.voices.memory import job_with_ref, populated, tone_wav
from voices import crypto
from voices.jobrefs import job_ref_bytes
from voices.merge import character_merge
from voices.models import CharacterEmbedding, CharacterMerge, EmbeddingSnapshot, VoiceRef
from voices.services import voice_ref_read
from voices.vectors import unseal

pytestmark = pytest.mark.django_db


def everything(series, job) -> dict:
    return {
        "refs": sorted(voice_ref_read(r) for r in VoiceRef.objects.all()),
        "job ref": job_ref_bytes(Workspace(job.pk), "analysis/voice_refs/S1.clone.wav"),
        "means": sorted(unseal(m.blob, m.dim).tobytes() for m in CharacterEmbedding.objects.all()),
        "snapshots": sorted(unseal(s.blob, s.dim).tobytes() for s in EmbeddingSnapshot.objects.all()),
        "merges": [crypto.decrypt(bytes(m.target_embeddings)) for m in CharacterMerge.objects.all()],
    }


def test_rotate_keys_reaches_refs_job_refs_embeddings_and_merges(isolated_storage, tmp_path, settings):
    from tests.factories import make_user

    series = make_series()
    a, b, _ = populated(series, tmp_path)
    character_merge(actor=make_user("admin"), source=b, target=a)
    job, _, _ = job_with_ref(series)
    before = everything(series, job)
    assert before["merges"] and before["snapshots"] and before["job ref"].startswith(b"RIFF")
    old, new = settings.DUBSITE_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    settings.DUBSITE_ENCRYPTION_KEYS = [new, old]
    out = io.StringIO()
    call_command("voices", "rotate-keys", stdout=out)
    assert "1 job refs" in out.getvalue() and "1 merge records" in out.getvalue(), out.getvalue()
    settings.DUBSITE_ENCRYPTION_KEYS = [new]  # the old key is gone: everything still reads
    assert everything(series, job) == before
    assert AuditEvent.objects.filter(action="voice_data.rotate_keys").exists()


def test_encrypt_legacy_turns_plain_job_refs_into_tokens(isolated_storage, tmp_path):
    plain = tone_wav(tmp_path / "old.wav").read_bytes()
    name = default_storage.save("jobs/77/analysis/voice_refs/SPEAKER_00.wav", ContentFile(plain))
    manifest = default_storage.save("jobs/77/analysis/voice_refs/manifest.json", ContentFile(b"{}"))
    out = io.StringIO()
    call_command("voices", "encrypt-legacy", stdout=out)
    assert "encrypted 1 job ref" in out.getvalue()
    assert not default_storage.exists(name) and default_storage.exists(manifest)
    with default_storage.open(name + ".fernet", "rb") as fh:
        assert crypto.decrypt(fh.read()) == plain
    assert AuditEvent.objects.filter(action="voice_data.encrypt_legacy_refs").exists()
