"""/media/ serves job artifacts, never voice data: not the refs folder of a job (plain or encrypted),
no `.fernet` blob anywhere, not a job's `work/` scratch, not the series refs (`voices/`); the refs'
manifest (metadata, a job-page download) and the other artifacts still are."""
from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db

REFUSED = [
    "jobs/7/analysis/voice_refs/SPEAKER_00.wav", "jobs/7/analysis/voice_refs/SPEAKER_00.clone.wav",
    "jobs/7/analysis/voice_refs/SPEAKER_00.wav.fernet", "jobs/7/analysis/voice_refs/sub/x.json",
    "jobs/7/work/diarization.work.json", "jobs/7/work/voice/abc.wav", "jobs/7/work/series_refs/CHAR_0001.wav",
    "jobs/7/tts/pass2/anything.fernet", "voices/s/CHAR_0001/x.wav.fernet", "elsewhere/blob.fernet",
]
SERVED = ["jobs/7/analysis/voice_refs/manifest.json", "jobs/7/pass1/qc.json", "jobs/7/audio/pass1/final_mix.wav"]


@pytest.fixture
def stored(isolated_storage):
    for name in REFUSED + SERVED:
        default_storage.save(name, ContentFile(b"RIFF\x00\x00\x00\x00WAVE" if name.endswith("wav") else b"{}"))


@pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
def test_media_refuses_voice_data_for_every_role(role, stored):
    client = Client()
    client.force_login(make_user(role))
    for name in REFUSED:
        response = client.get(f"/media/{name}")
        assert response.status_code == 404, name
        assert "<header>" in response.content.decode(), name  # the site's 404 page, no file bytes
        assert client.get(f"/media/jobs/7/../{name}").status_code == 404, name
    for name in SERVED:
        assert client.get(f"/media/{name}").status_code == 200, name


def test_a_link_into_the_refs_folder_is_refused(stored, settings):
    """The check is on the resolved path: a link named like an artifact does not reach a ref."""
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT)
    (root / "jobs/7/pass1/ref.wav").symlink_to(root / "jobs/7/analysis/voice_refs/SPEAKER_00.wav")
    client = Client()
    client.force_login(make_user("admin"))
    assert client.get("/media/jobs/7/pass1/ref.wav").status_code == 404
