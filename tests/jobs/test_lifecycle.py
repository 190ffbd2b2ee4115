"""A job's work folder goes when the job ends (kept a while after a failure), retry and "Rerun
pass 2" work without it, a job's files go with its row, and a job deleted while it runs ends its
worker quietly."""
from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule

from dubsite.models import AuditEvent
from jobs import tasks
from jobs.artifacts import Workspace, storage_name
from jobs.models import Job, JobState, StageRun, StageState
from jobs.runner import run_job
from jobs.services import job_rerun_pass2, job_retry, job_submit
from jobs.stages import JobFailure
from jobs.stages.asr import AsrStage
from jobs.stages.separate import SeparateStage
from series.models import Series
from series.services import episode_create
from tests.conftest import files_under
from tests.factories import make_episode, make_series, make_user

pytestmark = pytest.mark.django_db


def submit(episode, **kw) -> Job:
    return job_submit(actor=make_user("operator"), episode=episode, enqueue_task=False, mode="low", **kw)


def job_files(job: Job, media) -> dict[str, int]:
    return files_under(media / "jobs" / str(job.pk))


def fail_asr_once(monkeypatch):
    def fail(self, ctx):
        raise JobFailure("asr refused (test)")

    monkeypatch.setattr(AsrStage, "run", fail)


def test_success_removes_the_work_folder_and_records_disk_use(tmp_path, isolated_storage):
    media, work = isolated_storage
    job = submit(make_episode(tmp_path, seconds=3.0), two_pass=False)
    assert run_job(job.pk) == JobState.SUCCEEDED
    assert not Workspace(job.pk).root.exists() and files_under(work) == {}
    job.refresh_from_db()
    stored = job_files(job, media)
    assert job.stored_bytes == sum(stored.values()) > 0 and job.stored_files == len(stored)
    assert job.work_bytes == 0


def test_a_failed_job_keeps_its_folder_until_clean_then_retry_succeeds(tmp_path, monkeypatch, isolated_storage,
                                                                      settings):
    media, work = isolated_storage
    settings.DUBSITE_KEEP_FAILED_WORK_HOURS = 24
    with monkeypatch.context() as m:
        fail_asr_once(m)
        job = submit(make_episode(tmp_path, seconds=3.0), two_pass=False)
        assert run_job(job.pk) == JobState.FAILED
    folder = Workspace(job.pk).root
    assert (folder / "audio.wav").is_file()  # kept for debugging
    job.refresh_from_db()
    assert job.work_bytes == sum(files_under(folder).values()) > 0

    out = io.StringIO()
    call_command("storage", "clean", stdout=out)  # 0 h old: kept
    assert folder.is_dir() and "no orphans" in out.getvalue()

    Job.objects.filter(pk=job.pk).update(finished=timezone.now() - timedelta(hours=25))
    out = io.StringIO()
    call_command("storage", "clean", "--dry-run", stdout=out)
    assert folder.is_dir() and f"would remove work folder {folder}" in out.getvalue()
    call_command("storage", "clean", stdout=out)
    assert not folder.exists() and f"removed work folder {folder}" in out.getvalue()
    job.refresh_from_db()
    assert job.work_bytes == 0
    audit = AuditEvent.objects.filter(action="storage.clean").latest("id")
    assert audit.actor is None and audit.actor_name == "system" and str(folder) in audit.new["removed"]

    # retry: finished stages resume from what they published; no work folder needed
    job_retry(actor=make_user("operator"), job=job, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED, Job.objects.get(pk=job.pk).error
    for name in ("extract", "separate", "diarize", "refs", "identify"):
        assert StageRun.objects.filter(job=job, name=name).count() == 1, name  # not redone
    assert StageRun.objects.get(job=job, name="asr", state=StageState.SUCCEEDED)
    assert not folder.exists()


def test_keep_setting_zero_removes_a_failed_jobs_folder_at_once(tmp_path, monkeypatch, isolated_storage, settings):
    media, work = isolated_storage
    settings.DUBSITE_KEEP_FAILED_WORK_HOURS = 0
    fail_asr_once(monkeypatch)
    job = submit(make_episode(tmp_path), two_pass=False)
    assert run_job(job.pk) == JobState.FAILED
    assert files_under(work) == {} and job_files(job, media)  # its published artifacts stay for a retry


def test_the_scheduled_task_removes_expired_and_orphaned_work_folders(tmp_path, monkeypatch, isolated_storage):
    media, work = isolated_storage
    assert Schedule.objects.filter(func="jobs.tasks.release_expired_workspaces", minutes=60).exists()
    fail_asr_once(monkeypatch)
    old = submit(make_episode(tmp_path), two_pass=False)
    assert run_job(old.pk) == JobState.FAILED
    fresh = submit(make_episode(tmp_path), two_pass=False)
    assert run_job(fresh.pk) == JobState.FAILED
    Job.objects.filter(pk=old.pk).update(finished=timezone.now() - timedelta(hours=30))
    queued = submit(make_episode(tmp_path), two_pass=False)
    Workspace(queued.pk).path("audio.wav").write_bytes(b"queued")  # a job about to run keeps its folder
    Workspace(987654).path("audio.wav").write_bytes(b"gone")  # a job that no longer exists
    (work / "notes").mkdir()  # not a job's folder: never touched

    assert tasks.release_expired_workspaces() == 2
    assert sorted(p.name for p in work.iterdir()) == sorted([f"job_{fresh.pk}", f"job_{queued.pk}", "notes"])
    assert AuditEvent.objects.filter(action="storage.clean", target_type="work_folders").count() == 1
    assert tasks.release_expired_workspaces() == 0


@pytest.mark.slow
def test_retry_and_rerun_pass_two_of_real_speech_need_no_work_folder(eval_dir, tmp_path, monkeypatch,
                                                                      isolated_storage, settings):
    """jfk.flac: a real speaker, so refs, lines and voices exist; every artifact a later stage reads
    is in storage, so a retry after the folder was cleaned and pass 2 after success both work."""
    media, work = isolated_storage
    settings.DUBSITE_KEEP_FAILED_WORK_HOURS = 0
    with open(eval_dir / "jfk.flac", "rb") as fh:
        episode = episode_create(actor=make_user("admin"), series=make_series(slug="jfk"), season_number=1, number=1,
                                 upload=File(fh, name="jfk.flac"))
    with monkeypatch.context() as m:
        fail_asr_once(m)
        job = submit(episode, two_pass=False)
        assert run_job(job.pk) == JobState.FAILED
    assert not Workspace(job.pk).root.exists()

    job_retry(actor=make_user("operator"), job=job, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED, Job.objects.get(pk=job.pk).error
    assert not Workspace(job.pk).root.exists()
    job.refresh_from_db()
    assert StageRun.objects.filter(job=job, name="refs").count() == 1
    # every file a stage's outputs name (what later stages read) was published
    for run in StageRun.objects.filter(job=job, state=StageState.SUCCEEDED):
        named = [v for k, v in run.outputs.items() if isinstance(v, str) and "." in v and not k.startswith("_")]
        for rel in named:
            assert default_storage.exists(storage_name(job.pk, rel)), (run.name, rel)
    refs = json.loads(default_storage.open(storage_name(job.pk, "analysis/voice_refs/manifest.json")).read())
    assert any(r["clone_path"] for r in refs["speakers"].values())

    job_rerun_pass2(actor=make_user("operator"), job=job, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED, Job.objects.get(pk=job.pk).error
    job.refresh_from_db()
    assert job.outputs["pass"] == 2 and default_storage.exists(storage_name(job.pk, "pass2/dub.mkv"))
    pass2 = StageRun.objects.filter(job=job, pass_obj__number=2, state=StageState.SUCCEEDED)
    assert sorted(pass2.values_list("name", flat=True)) == ["mix", "mux", "qc", "tts"]
    manifest = json.loads(default_storage.open(storage_name(job.pk, job.outputs["tts_manifest"])).read())
    assert any(s["source"] in ("matched_preset", "extracted_ref") for s in manifest["speakers"].values())
    assert files_under(work) == {}


@pytest.mark.django_db(transaction=True)
def test_a_job_deleted_while_it_runs_ends_its_worker_quietly(tmp_path, monkeypatch, isolated_storage):
    """Its series goes by a cascade no guard sees (as `Series.objects...delete()` or the admin's
    episode delete would): the worker's task returns instead of failing with an IntegrityError,
    and what it wrote after the delete is removed."""
    media, work = isolated_storage
    series = make_series(slug="vanishing")
    job = submit(make_episode(tmp_path, series), two_pass=False)
    real = SeparateStage.run

    def separate_then_vanish(self, ctx):
        result = real(self, ctx)
        Series.objects.filter(pk=series.pk).delete()  # cascades to the episode, the job and its rows
        return result

    monkeypatch.setattr(SeparateStage, "run", separate_then_vanish)
    assert tasks.run_job(job.pk) is None  # no exception reaches django-q2
    assert not Job.objects.filter(pk=job.pk).exists()
    assert files_under(media, work) == {}


def test_admin_delete_of_a_job_or_an_episode_removes_their_files(tmp_path, isolated_storage,
                                                                 django_capture_on_commit_callbacks):
    media, work = isolated_storage
    first, second = make_episode(tmp_path), make_episode(tmp_path)
    jobs = []
    for episode in (first, second):
        job = submit(episode, two_pass=False)
        assert run_job(job.pk) == JobState.SUCCEEDED
        Workspace(job.pk).path("audio.wav").write_bytes(b"kept after a failure")  # as if a failure kept it
        jobs.append(job)
    client = Client()
    client.force_login(make_user("admin"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/jobs/job/{jobs[0].pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Job.objects.filter(pk=jobs[0].pk).exists()
    assert job_files(jobs[0], media) == {} and not Workspace(jobs[0].pk).root.exists()
    assert not (media / "jobs" / str(jobs[0].pk)).exists()
    assert default_storage.exists(first.source_video.name)  # the episode stays

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/series/episode/{second.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not default_storage.exists(second.source_video.name)
    assert job_files(jobs[1], media) == {} and not Workspace(jobs[1].pk).root.exists()
    remaining = files_under(media, work)
    assert list(remaining) == [str(media / first.source_video.name)]
