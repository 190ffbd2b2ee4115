"""Deleting a series deletes its files (after the commit, through the storage API): episode
sources, job artifacts, kept work folders, encrypted refs; a rollback deletes nothing; a series
whose jobs are queued or running is refused (409) and keeps everything."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import Client

from dubsite.errors import Conflict
from dubsite.models import AuditEvent
from jobs.models import Job, JobState
from jobs.runner import run_job
from jobs.services import job_cancel, job_submit
from jobs.stages import JobFailure
from jobs.stages.asr import AsrStage
from media.audio import save
from series.models import Episode, Season, Series
from series.services import character_create, series_delete
from tests.conftest import files_under
from tests.factories import make_episode, make_series, make_user
from voices.models import VoiceRef
from voices.services import voice_ref_store

pytestmark = pytest.mark.django_db


def tone_wav(path: Path, seconds: float = 3.0, rate: int = 22050) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    return save(path, (0.3 * np.sin(2 * np.pi * 140 * t)).astype(np.float32), rate)


def dubbed_series(tmp_path, monkeypatch, slug: str) -> tuple[Series, list[Job]]:
    """A series after real jobs: one succeeded (artifacts in storage), one failed in asr (its work
    folder kept for debugging), and a character's encrypted series ref."""
    series = make_series(slug=slug)
    operator = make_user("operator")
    done = job_submit(actor=operator, episode=make_episode(tmp_path, series, number=1), mode="low", two_pass=False,
                      enqueue_task=False)
    assert run_job(done.pk) == JobState.SUCCEEDED

    def fail(self, ctx):
        raise JobFailure("no speech here (test)")

    with monkeypatch.context() as m:
        m.setattr(AsrStage, "run", fail)
        failed = job_submit(actor=operator, episode=make_episode(tmp_path, series, number=2), mode="low",
                            two_pass=False, enqueue_task=False)
        assert run_job(failed.pk) == JobState.FAILED
    voice_ref_store(actor=None, character=character_create(actor=None, series=series), wav=tone_wav(tmp_path / "r.wav"),
                    source="job")
    return series, [done, failed]


def kinds(files: dict[str, int], media: Path, work: Path) -> set[str]:
    return {Path(name).relative_to(media).parts[0] if name.startswith(str(media)) else "work" for name in files}


@pytest.mark.slow
def test_service_delete_removes_every_file_of_the_series(tmp_path, monkeypatch, isolated_storage,
                                                         django_capture_on_commit_callbacks):
    media, work = isolated_storage
    keep = make_episode(tmp_path, make_series(slug="other"))  # another series' file stays
    before = files_under(media, work)
    series, jobs = dubbed_series(tmp_path, monkeypatch, "doomed")
    during = files_under(media, work)
    assert kinds(set(during) - set(before), media, work) == {"episodes", "jobs", "voices", "work"}
    assert (work / f"job_{jobs[1].pk}").is_dir() and not (work / f"job_{jobs[0].pk}").exists()

    with django_capture_on_commit_callbacks(execute=True):
        series_delete(actor=make_user("admin"), series=series)
    assert files_under(media, work) == before
    assert keep.source_video.storage.exists(keep.source_video.name)
    for job in jobs:  # no empty folders left behind either
        assert not (media / "jobs" / str(job.pk)).exists() and not (work / f"job_{job.pk}").exists()
    assert not (media / "episodes" / "doomed").exists() or not any((media / "episodes" / "doomed").rglob("*.*"))
    assert not Series.objects.filter(slug="doomed").exists() and not VoiceRef.objects.exists()


@pytest.mark.slow
def test_api_delete_removes_every_file_of_the_series(tmp_path, monkeypatch, isolated_storage,
                                                     django_capture_on_commit_callbacks):
    media, work = isolated_storage
    before = files_under(media, work)
    dubbed_series(tmp_path, monkeypatch, "api-doomed")
    assert len(files_under(media, work)) > len(before)
    client = Client()
    client.force_login(make_user("admin"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete("/api/series/api-doomed")
    assert response.status_code == 204, response.content
    assert files_under(media, work) == before


def test_a_rolled_back_delete_removes_nothing(tmp_path, isolated_storage, django_capture_on_commit_callbacks):
    media, work = isolated_storage
    series = make_series(slug="kept")
    episode = make_episode(tmp_path, series)
    ref = voice_ref_store(actor=None, character=character_create(actor=None, series=series),
                          wav=tone_wav(tmp_path / "r.wav"), source="job")
    job = Job.objects.create(episode=episode, state=JobState.FAILED)
    default_storage.save(f"jobs/{job.pk}/stems/dialogue.wav", ContentFile(b"x" * 100))
    (work / f"job_{job.pk}" / "stems").mkdir(parents=True)
    (work / f"job_{job.pk}" / "stems" / "dialogue.wav").write_bytes(b"x" * 100)
    before = files_under(media, work)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            series_delete(actor=make_user("admin"), series=series)
            raise RuntimeError("something later in the same transaction failed")
    assert callbacks == []  # nothing was left to run after the rollback
    assert files_under(media, work) == before
    assert Series.objects.filter(slug="kept").exists() and VoiceRef.objects.filter(pk=ref.pk).exists()


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.RUNNING])
def test_delete_refused_while_a_job_is_active(state, tmp_path, isolated_storage, django_capture_on_commit_callbacks):
    media, work = isolated_storage
    series = make_series(slug="busy")
    episode = make_episode(tmp_path, series)
    job = job_submit(actor=make_user("operator"), episode=episode, mode="low", enqueue_task=False)
    Job.objects.filter(pk=job.pk).update(state=state)
    before = files_under(media, work)
    admin = make_user("admin")

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Conflict) as refused:
            series_delete(actor=admin, series=series)
    assert f"#{job.pk} ({state})" in refused.value.message and "cancel it first" in refused.value.message
    assert refused.value.status == 409

    client = Client()
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete("/api/series/busy")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict" and f"#{job.pk}" in body["message"] and "cancel" in body["message"]
    assert Series.objects.filter(pk=series.pk).exists() and Episode.objects.filter(pk=episode.pk).exists()
    assert Job.objects.filter(pk=job.pk).exists() and files_under(media, work) == before
    assert not AuditEvent.objects.filter(action="series.delete").exists()

    # the admin's delete goes through the same service and says why
    response = client.post(f"/admin/series/series/{series.pk}/delete/", {"post": "yes"}, follow=True)
    assert "cannot be deleted now" in response.content.decode() and Series.objects.filter(pk=series.pk).exists()

    if state == JobState.QUEUED:  # cancelled first, as the message says: now it goes
        job_cancel(actor=admin, job=job)
        with django_capture_on_commit_callbacks(execute=True):
            assert client.delete("/api/series/busy").status_code == 204
        assert not Series.objects.filter(pk=series.pk).exists()
        assert not Season.objects.filter(series_id=series.pk).exists()
        assert not any(name.startswith(str(media / "episodes")) for name in files_under(media, work))


def test_admin_delete_of_an_idle_series_removes_its_files(tmp_path, isolated_storage,
                                                          django_capture_on_commit_callbacks):
    media, work = isolated_storage
    series = make_series(slug="admin-gone")
    make_episode(tmp_path, series)
    assert files_under(media)
    client = Client()
    client.force_login(make_user("admin"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/series/series/{series.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Series.objects.filter(pk=series.pk).exists()
    assert files_under(media, work) == {}
    assert AuditEvent.objects.filter(action="series.delete", target_id=str(series.pk)).exists()
