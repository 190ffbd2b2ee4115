"""Voice data is never plaintext at rest: after a real job on the demo scene (two characters), no
storage file and no work-folder file under a voice folder is a WAV or a raw vector, the job's refs
are stored as Fernet tokens, a failed job's kept work folder holds no voice data, /media/ serves
none of it, and a series in privacy mode keeps no voice data at all after its job."""
from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from jobs.artifacts import Workspace, storage_name
from jobs.lifecycle import release_workspace
from jobs.models import Job, JobState, StageRun, StageState
from jobs.runner import run_job
from jobs.services import job_retry, job_submit
from jobs.stages import JobFailure
from jobs.stages.asr import AsrStage
from media.demo import build_demo_episode
from series.services import episode_create
from tests.factories import make_episode, make_series, make_user, upload_of
from tests.voices.plaintext import plaintext_in_dir, plaintext_in_storage, voice_files_in_storage
from voices.models import CharacterEmbedding, EmbeddingSnapshot, VoiceRef

pytestmark = pytest.mark.django_db

FOLDER = "analysis/voice_refs"


@pytest.fixture(scope="module")
def demo_video(tmp_path_factory):
    return build_demo_episode(tmp_path_factory.mktemp("demo") / "demo.mp4").path


def demo_job(series, video, **kw) -> Job:
    admin = make_user("admin")
    episode = episode_create(actor=admin, series=series, season_number=1, number=1, upload=upload_of(video))
    return job_submit(actor=make_user("operator"), episode=episode, enqueue_task=False, mode="low", **kw)


def refs_outputs(job: Job) -> dict:
    return StageRun.objects.get(job=job, name="refs", state=StageState.SUCCEEDED).outputs


def scan(job: Job, work) -> dict[str, str]:
    return {**plaintext_in_storage(f"jobs/{job.pk}"), **plaintext_in_storage("voices"), **plaintext_in_dir(work)}


def test_a_job_keeps_voice_data_only_encrypted(demo_video, isolated_storage, monkeypatch, settings):
    media, work = isolated_storage
    settings.DUBSITE_KEEP_FAILED_WORK_HOURS = 24
    series = make_series(voice_memory=True)
    with monkeypatch.context() as m:  # fail after refs: the work folder is kept for debugging
        def fail(self, ctx):
            raise JobFailure("asr refused (test)")

        m.setattr(AsrStage, "run", fail)
        job = demo_job(series, demo_video, two_pass=True)
        assert run_job(job.pk) == JobState.FAILED
    kept = Workspace(job.pk).root
    assert (kept / "audio.wav").is_file()  # kept, but without voice data
    assert plaintext_in_dir(work) == {}
    assert scan(job, work) == {}  # storage too (needs the refs stage from main)

    job_retry(actor=make_user("operator"), job=job, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED, Job.objects.get(pk=job.pk).error
    assert scan(job, work) == {}

    speakers = refs_outputs(job)["speakers"]
    refs = [info[key] for info in speakers.values() for key in ("path", "clone_path") if info[key]]
    assert len(speakers) == 2 and len(refs) == 4, speakers
    client = Client()
    client.force_login(make_user("admin"))
    for rel in refs:  # stored encrypted under the logical name + .fernet (needs the refs stage from main)
        assert default_storage.exists(storage_name(job.pk, rel + ".fernet")), rel
        assert not default_storage.exists(storage_name(job.pk, rel)), rel
        for name in (storage_name(job.pk, rel), storage_name(job.pk, rel + ".fernet")):
            assert client.get(f"/media/{name}").status_code == 404, name
    for ref in VoiceRef.objects.filter(character__series=series):
        assert client.get(f"/media/{ref.blob}").status_code == 404
    label = next(iter(speakers))
    heard = client.get(f"/api/jobs/{job.pk}/speakers/{label}/ref")
    assert heard.status_code == 200 and heard.content[:4] == b"RIFF"
    assert client.get(f"/media/{storage_name(job.pk, FOLDER + '/manifest.json')}").status_code == 200


def test_privacy_mode_keeps_no_voice_data(demo_video, isolated_storage):
    media, work = isolated_storage
    series = make_series(privacy_mode=True)
    job = demo_job(series, demo_video, two_pass=False)
    assert run_job(job.pk) == JobState.SUCCEEDED, Job.objects.get(pk=job.pk).error
    assert voice_files_in_storage(f"jobs/{job.pk}") == []  # needs the refs stage from main
    assert voice_files_in_storage("voices") == [] and scan(job, work) == {}
    assert not VoiceRef.objects.filter(character__series=series).exists()
    assert not CharacterEmbedding.objects.filter(character__series=series).exists()
    assert not EmbeddingSnapshot.objects.filter(character__series=series).exists()


def test_a_kept_work_folder_is_scrubbed_of_voice_data(tmp_path, isolated_storage, settings):
    """Whatever a failed stage left: plaintext refs, decrypted job refs, decrypted series refs."""
    media, work = isolated_storage
    settings.DUBSITE_KEEP_FAILED_WORK_HOURS = 24
    job = Job.objects.create(episode=make_episode(tmp_path), state=JobState.FAILED)
    root = Workspace(job.pk).root
    planted = {f"{FOLDER}/SPEAKER_00.wav": b"RIFF....WAVEfmt ", f"{FOLDER}/SPEAKER_00.clone.wav": b"RIFF....WAVE",
               f"{FOLDER}/SPEAKER_00.wav.fernet": b"gAAAAAtoken", "work/voice/3f2a.wav": b"RIFF....WAVE",
               "work/series_refs/CHAR_0001.wav": b"RIFF....WAVE", "work/series_refs/deep/x.npy": b"\x93NUMPY"}
    kept = {f"{FOLDER}/manifest.json": b"{}", "audio.wav": b"RIFF....WAVE", "transcript.json": b"{}"}
    for rel, data in {**planted, **kept}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    assert set(plaintext_in_dir(root)) == {str(root / rel) for rel in planted if not rel.endswith(".fernet")}
    release_workspace(job)
    assert plaintext_in_dir(root) == {}
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == sorted(kept)
    job.refresh_from_db()
    assert job.work_bytes == sum(len(v) for v in kept.values())


def test_the_scanner_finds_plaintext_in_storage(isolated_storage):
    from django.core.files.base import ContentFile

    default_storage.save(f"jobs/9/{FOLDER}/S1.wav", ContentFile(b"RIFF\x00\x00\x00\x00WAVEfmt "))
    default_storage.save(f"jobs/9/{FOLDER}/S1.wav.fernet", ContentFile(b"gAAAAABtoken"))
    default_storage.save("voices/s/CHAR_0001/a.wav.fernet", ContentFile(b"\x00\x01raw floats"))
    default_storage.save("jobs/9/stems/dialogue.wav", ContentFile(b"RIFF\x00\x00\x00\x00WAVEfmt "))
    assert plaintext_in_storage("jobs/9") == {f"jobs/9/{FOLDER}/S1.wav": "named like plaintext voice data"}
    assert plaintext_in_storage("voices") == {"voices/s/CHAR_0001/a.wav.fernet": "not a Fernet token"}
    assert sorted(voice_files_in_storage("jobs/9")) == [f"jobs/9/{FOLDER}/S1.wav", f"jobs/9/{FOLDER}/S1.wav.fernet"]
