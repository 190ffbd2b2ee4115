"""Hearing voice data: the series-ref and job-ref pages and API endpoints answer the decrypted WAV
only to roles that may hear voice data (operators, editors, admins; not viewers), never cached; a
missing ref is a 404 and a ref no configured key opens is a clear 409, not a server error."""
from __future__ import annotations

import numpy as np
import pytest
from cryptography.fernet import Fernet
from django.test import Client
from django.urls import reverse

from jobs.artifacts import Workspace
from jobs.models import Job, Pass, StageRun, StageState
from media.audio import save
from series.services import character_create
from tests.factories import make_episode, make_series, make_user
from voices.jobrefs import store_job_ref
from voices.playback import LOCKED_MESSAGE
from voices.services import voice_ref_store

pytestmark = pytest.mark.django_db

FOLDER = "analysis/voice_refs"


def tone_wav(path, seconds=2.0, rate=16000):
    t = np.arange(int(seconds * rate)) / rate
    return save(path, (0.3 * np.sin(2 * np.pi * 150 * t)).astype(np.float32), rate)


@pytest.fixture
def series_ref(tmp_path, isolated_storage):
    character = character_create(actor=None, series=make_series())
    wav = tone_wav(tmp_path / "ref.wav", rate=22050)
    return voice_ref_store(actor=None, character=character, wav=wav, source="job"), wav.read_bytes()


@pytest.fixture
def job_refs(tmp_path, isolated_storage):
    """A job whose refs stage stored SPEAKER_00's ref and clone copy encrypted (as the stage does)."""
    job = Job.objects.create(episode=make_episode(tmp_path), state="succeeded")
    pass_row = Pass.objects.create(job=job, number=1)
    workspace, plain = Workspace(job.pk), {}
    for rel, rate in ((f"{FOLDER}/SPEAKER_00.wav", 16000), (f"{FOLDER}/SPEAKER_00.clone.wav", 22050)):
        plain[rel] = tone_wav(workspace.path(rel), rate=rate).read_bytes()
        store_job_ref(workspace, rel)
    workspace.remove()  # the job ended: only storage holds its refs
    StageRun.objects.create(job=job, pass_obj=pass_row, name="refs", state=StageState.SUCCEEDED, fingerprint="x",
                            outputs={"speakers": {"SPEAKER_00": {"path": f"{FOLDER}/SPEAKER_00.wav",
                                                                 "clone_path": f"{FOLDER}/SPEAKER_00.clone.wav"},
                                                  "SPEAKER_01": {"path": None, "clone_path": None}}})
    return job, plain


def urls(series_ref, job_refs):
    ref, job = series_ref[0], job_refs[0]
    return {
        "series page": reverse("voices:ref_audio", args=[ref.pk]),
        "series api": f"/api/voices/refs/{ref.pk}/audio",
        "job page": reverse("voices:job_ref_audio", args=[job.pk, "SPEAKER_00"]),
        "job api": f"/api/jobs/{job.pk}/speakers/SPEAKER_00/ref",
    }


def client_for(role):
    client = Client()
    if role != "anonymous":
        client.force_login(make_user(role))
    return client


@pytest.mark.parametrize("role, page_code, api_code", [
    ("anonymous", 302, 401), ("viewer", 403, 403), ("operator", 200, 200), ("editor", 200, 200), ("admin", 200, 200),
])
def test_who_may_hear_voice_data(role, page_code, api_code, series_ref, job_refs):
    client = client_for(role)
    expected = {"series page": series_ref[1], "series api": series_ref[1],
                "job page": job_refs[1][f"{FOLDER}/SPEAKER_00.wav"], "job api": job_refs[1][f"{FOLDER}/SPEAKER_00.wav"]}
    for name, url in urls(series_ref, job_refs).items():
        response = client.get(url)
        assert response.status_code == (api_code if "api" in name else page_code), (name, response.content[:200])
        if response.status_code == 302:
            assert response["Location"].startswith("/login/"), name
        if response.status_code == 200:
            assert response.content == expected[name], name
            assert response["Content-Type"] == "audio/wav" and response["Cache-Control"] == "private, no-store"
            assert response["Content-Disposition"].startswith("inline;"), name
        elif "api" in name:
            assert response.json()["code"] == {401: "unauthenticated", 403: "forbidden"}[api_code]


def test_clone_copy_and_missing_refs(series_ref, job_refs):
    client = client_for("editor")
    job, plain = job_refs
    clone = plain[f"{FOLDER}/SPEAKER_00.clone.wav"]
    assert client.get(reverse("voices:job_ref_audio", args=[job.pk, "SPEAKER_00"]) + "?clone=1").content == clone
    assert client.get(f"/api/jobs/{job.pk}/speakers/SPEAKER_00/ref?clone=true").content == clone
    for label in ("SPEAKER_01", "SPEAKER_09"):  # no ref was made / no such speaker
        assert client.get(reverse("voices:job_ref_audio", args=[job.pk, label])).status_code == 404
        response = client.get(f"/api/jobs/{job.pk}/speakers/{label}/ref")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get(f"/api/jobs/{job.pk + 1000}/speakers/SPEAKER_00/ref").status_code == 404
    assert client.get(reverse("voices:ref_audio", args=[series_ref[0].pk + 1000])).status_code == 404
    assert client.get(f"/api/voices/refs/{series_ref[0].pk + 1000}/audio").status_code == 404
    assert client.get(f"/api/jobs/{job.pk}/speakers/..%2Fx/ref").status_code in (404, 422)


def test_a_job_ref_in_plaintext_is_not_served(job_refs):
    """A job whose refs are stored only as plain WAV (before encryption) has nothing to serve."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from jobs.artifacts import storage_name

    job, plain = job_refs
    rel = f"{FOLDER}/SPEAKER_00.wav"
    default_storage.delete(storage_name(job.pk, rel + ".fernet"))
    default_storage.save(storage_name(job.pk, rel), ContentFile(plain[rel]))
    assert client_for("admin").get(f"/api/jobs/{job.pk}/speakers/SPEAKER_00/ref").status_code == 404


def test_hearing_a_finished_jobs_ref_leaves_no_work_folder(job_refs):
    job, _ = job_refs
    assert client_for("operator").get(f"/api/jobs/{job.pk}/speakers/SPEAKER_00/ref").status_code == 200
    assert not Workspace(job.pk).root.exists()


def test_a_wrong_key_is_a_clear_409_not_a_server_error(series_ref, job_refs, settings):
    settings.DUBSITE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the key that wrote them is gone
    client = client_for("admin")
    client.raise_request_exception = False
    for name, url in urls(series_ref, job_refs).items():
        response = client.get(url)
        assert response.status_code == 409, name
        if "api" in name:
            assert response.json()["code"] == "conflict" and LOCKED_MESSAGE in response.json()["message"]
        else:
            assert LOCKED_MESSAGE.capitalize() in response.content.decode()
            assert "DUBSITE_ENCRYPTION_KEYS" in response.content.decode()
    settings.DUBSITE_ENCRYPTION_KEYS = []  # no key at all
    response = client.get(urls(series_ref, job_refs)["job api"])
    assert response.status_code == 409 and "DUBSITE_ENCRYPTION_KEYS is not set" in response.json()["message"]
