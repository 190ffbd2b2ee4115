"""Jobs are never stuck and never wrongly ended: atomic submits, pass-level cancel, lost workers
found in a time derived from the heartbeat, nothing left `running`, environment failures and
optional steps handled with a readable reason."""
from __future__ import annotations

import errno
import json
import socket
import subprocess
import threading
import time
from datetime import timedelta

import numpy as np
import psutil
import pytest
import soundfile as sf
from django.db import connection
from django.utils import timezone

from dubsite.errors import Conflict
from jobs.artifacts import Workspace
from jobs.liveness import stale_after, worker_identity, worker_is_dead, worst_case_detection
from jobs.models import Job, JobEvent, JobState, Pass, PassState, StageRun, StageState
from jobs.runner import run_job
from jobs.services import MAX_RECOVERIES, is_stale, job_cancel, job_rerun_pass2, job_submit, jobs_recover_stale
from jobs.models import PassKind
from jobs.stages import STAGES_BY_KIND
from jobs.stages.base import StageContext
from series.services import character_create
from tests.factories import make_episode, make_user
from voices.jobrefs import store_job_ref
from voices.models import VoiceRef
from voices.series_refs import keep_series_refs

DEAD = f"{socket.gethostname()}:999999999:0"  # a pid above Linux's pid_max: never alive


def submit(episode, **kw) -> Job:
    return job_submit(actor=make_user("operator"), episode=episode, enqueue_task=False, **kw)


def assert_nothing_left_running(job: Job) -> None:
    assert not StageRun.objects.filter(job=job, state=StageState.RUNNING).exists()
    assert not Pass.objects.filter(job=job, state=PassState.RUNNING).exists()


# --- one active job per episode --------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_create_exactly_one_active_job(tmp_path):
    episode = make_episode(tmp_path)
    operator = make_user("operator")
    barrier, results = threading.Barrier(8), []

    def submit_one():
        try:
            barrier.wait()
            results.append(job_submit(actor=operator, episode=episode, enqueue_task=False).pk)
        except Conflict as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit_one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    created = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(results) == 8 and len(created) == 1 and len(refused) == 7, results
    assert Job.objects.filter(episode=episode).count() == 1
    assert all(r.status == 409 and r.fields == {"episode": "busy"} for r in refused)
    assert all(f"job {created[0]}" in r.message for r in refused)  # says which job holds the episode


@pytest.mark.django_db
def test_submit_while_a_retried_job_is_active_is_refused(tmp_path):
    episode = make_episode(tmp_path)
    job = submit(episode)
    with pytest.raises(Conflict, match="already has a queued or running job"):
        submit(episode)
    job_cancel(actor=make_user("operator"), job=job)
    assert submit(episode).state == JobState.QUEUED  # a cancelled job no longer holds the episode


# --- cancelling a pass keeps the job's dub -----------------------------------------------------

@pytest.fixture
def finished_job(tmp_path, db):
    job = submit(make_episode(tmp_path, seconds=2.0), mode="low", two_pass=False)
    assert run_job(job.pk) == JobState.SUCCEEDED
    job.refresh_from_db()
    return job


def test_cancel_of_a_queued_rerun_pass2_keeps_the_succeeded_job(finished_job):
    operator = make_user("operator")
    outputs = dict(finished_job.outputs)
    job = job_rerun_pass2(actor=operator, job=finished_job, enqueue_task=False)
    assert job.state == JobState.QUEUED
    job = job_cancel(actor=operator, job=job)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.outputs == outputs and not job.cancel_requested
    assert job.passes.get(number=1).state == PassState.SUCCEEDED
    assert job.passes.get(number=2).state == PassState.CANCELLED
    assert run_job(job.pk) is None  # the queue entry of the cancelled pass does nothing
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.outputs == outputs


def test_cancel_during_pass2_keeps_pass1_outputs(finished_job):
    operator = make_user("operator")
    outputs = dict(finished_job.outputs)
    job = job_rerun_pass2(actor=operator, job=finished_job, enqueue_task=False)

    def cancel_in_pass2(name, done, total):
        if done >= len(STAGES_BY_KIND[PassKind.DUB]):  # pass 2 has begun: the cancel lands at its next stage boundary
            job_cancel(actor=operator, job=job)

    assert run_job(job.pk, on_stage=cancel_in_pass2) == JobState.SUCCEEDED
    job.refresh_from_db()
    assert job.outputs == outputs and job.outputs["pass"] == 1 and not job.cancel_requested
    assert job.passes.get(number=2).state == PassState.CANCELLED
    assert JobEvent.objects.filter(job=job, message__contains="pass 2 cancelled; the pass-1 dub stays").exists()
    assert_nothing_left_running(job)


def test_cancel_of_a_first_run_cancels_the_job(tmp_path, db):
    job = submit(make_episode(tmp_path))
    job = job_cancel(actor=make_user("operator"), job=job)
    assert job.state == JobState.CANCELLED
    assert set(job.passes.values_list("state", flat=True)) == {PassState.SKIPPED}


# --- lost workers ----------------------------------------------------------------------------

def test_the_stale_limit_follows_the_heartbeat(settings):
    settings.DUBSITE_HEARTBEAT_SECONDS = 5
    assert stale_after() == timedelta(seconds=60)
    assert worst_case_detection() == 60 + 60 + 30
    settings.DUBSITE_HEARTBEAT_SECONDS = 10
    assert stale_after() == timedelta(seconds=120)
    settings.DUBSITE_HEARTBEAT_SECONDS = 0
    assert stale_after() is None and worst_case_detection() is None


def test_worker_identity_tells_a_live_process_from_a_dead_one():
    assert not worker_is_dead(worker_identity())  # this test process
    assert worker_is_dead(DEAD)
    mine = worker_identity().split(":")
    assert worker_is_dead(f"{mine[0]}:{mine[1]}:{int(mine[2]) - 100}")  # same pid, another process (reused)
    assert not worker_is_dead("another-host:1:0")  # only its heartbeat can tell
    zombie = subprocess.Popen(["true"])  # exits at once; not reaped until wait()
    try:
        deadline = time.monotonic() + 10
        while psutil.Process(zombie.pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert worker_is_dead(worker_identity(zombie.pid))  # killed, not yet reaped: dead all the same
    finally:
        zombie.wait()


@pytest.mark.django_db
def test_stale_by_heartbeat_uses_the_setting(tmp_path, settings):
    settings.DUBSITE_HEARTBEAT_SECONDS = 5
    job = submit(make_episode(tmp_path))
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, worker="another-host:1:0",
                                         heartbeat=now - timedelta(seconds=59))
    job.refresh_from_db()
    assert not is_stale(job, now) and jobs_recover_stale() == []
    Job.objects.filter(pk=job.pk).update(heartbeat=now - timedelta(seconds=61))
    job.refresh_from_db()
    assert is_stale(job, now)
    settings.DUBSITE_HEARTBEAT_SECONDS = 0  # heartbeats off: silence means nothing
    assert not is_stale(job, now)


@pytest.mark.django_db
def test_recovery_requeues_a_dead_workers_job_and_closes_its_open_stage(tmp_path):
    job = submit(make_episode(tmp_path))
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, worker=DEAD, heartbeat=timezone.now(),
                                         current_stage="asr")
    pass1 = job.passes.get(number=1)
    Pass.objects.filter(pk=pass1.pk).update(state=PassState.RUNNING)
    StageRun.objects.create(job=job, pass_obj=pass1, name="asr", fingerprint="x" * 64)
    assert jobs_recover_stale() == [job.pk]  # a fresh heartbeat, but the process is gone
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.recoveries == 1 and not job.worker
    assert StageRun.objects.get(job=job, name="asr").error == "worker lost mid-stage"
    assert_nothing_left_running(job)
    assert jobs_recover_stale() == []  # a second recovery (another worker starting) does not queue it twice


@pytest.mark.django_db
def test_a_job_whose_worker_keeps_dying_fails_with_the_reason(tmp_path):
    job = submit(make_episode(tmp_path))
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, worker=DEAD, recoveries=MAX_RECOVERIES,
                                         current_stage="diarize")
    assert jobs_recover_stale() == [job.pk]
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "lost 4 times" in job.error and "diarize" in job.error
    assert job.finished is not None
    assert_nothing_left_running(job)


# --- nothing left running, whatever the exception ---------------------------------------------

def _break_stage(monkeypatch, name: str, exc: BaseException):
    stage = next(s for s in STAGES_BY_KIND[PassKind.DUB] if s.name == name)

    def broken(self, ctx):
        raise exc

    monkeypatch.setattr(type(stage), "run", broken)


@pytest.mark.django_db
def test_an_unexpected_error_ends_errored_with_nothing_left_running(tmp_path, monkeypatch):
    _break_stage(monkeypatch, "separate", RuntimeError("engine exploded"))
    job = submit(make_episode(tmp_path), two_pass=True)
    assert run_job(job.pk) == JobState.ERRORED
    job.refresh_from_db()
    assert job.error == "RuntimeError: engine exploded"
    assert StageRun.objects.get(job=job, name="separate").state == StageState.FAILED
    assert job.passes.get(number=1).state == PassState.FAILED
    assert job.passes.get(number=2).state == PassState.SKIPPED
    assert_nothing_left_running(job)


@pytest.mark.django_db(transaction=True)  # the worker runs in autocommit, not inside a test transaction
def test_a_stage_whose_result_cannot_be_recorded_is_not_left_running(tmp_path, monkeypatch):
    from jobs.stages import StageResult

    stage = next(s for s in STAGES_BY_KIND[PassKind.DUB] if s.name == "separate")
    monkeypatch.setattr(type(stage), "run", lambda self, ctx: StageResult(outputs={"bad": object()}))
    job = submit(make_episode(tmp_path))
    assert run_job(job.pk) == JobState.ERRORED
    assert StageRun.objects.get(job=job, name="separate").state == StageState.FAILED
    assert_nothing_left_running(job)


@pytest.mark.django_db
def test_a_full_disk_fails_the_job_with_a_readable_reason(tmp_path, monkeypatch, settings):
    where = str(settings.DUBSITE_WORK_DIR / "job_1" / "stems" / "dialogue.wav")
    _break_stage(monkeypatch, "separate", OSError(errno.ENOSPC, "No space left on device", where))
    job = submit(make_episode(tmp_path))
    assert run_job(job.pk) == JobState.FAILED
    job.refresh_from_db()
    assert job.error.startswith("the server cannot write the job's files: No space left on device")
    assert str(settings.DUBSITE_WORK_DIR) not in job.error and "$WORK_DIR" in job.error
    assert_nothing_left_running(job)


@pytest.mark.django_db
def test_an_unusable_work_folder_fails_the_job_with_a_readable_reason(tmp_path, settings):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the work folder should be")
    settings.DUBSITE_WORK_DIR = blocker / "work"
    job = submit(make_episode(tmp_path))
    assert run_job(job.pk) == JobState.FAILED
    job.refresh_from_db()
    assert "work folder" in job.error and "is not usable" in job.error and str(tmp_path) not in job.error
    assert not JobEvent.objects.filter(job=job, message__contains="Traceback").exists()
    assert_nothing_left_running(job)


@pytest.mark.django_db
def test_non_finite_numbers_never_reach_a_json_field(tmp_path):
    job = submit(make_episode(tmp_path))
    run = StageRun.objects.create(job=job, pass_obj=job.passes.get(number=1), name="mix", fingerprint="f" * 64,
                                  outputs={"peak": float("-inf"), "nested": [float("nan"), 1.5]})
    run.refresh_from_db()
    assert run.outputs == {"peak": None, "nested": [None, 1.5]}


# --- optional steps ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_ref_too_short_to_keep_is_skipped_with_the_reason(tmp_path, caplog):
    job = submit(make_episode(tmp_path))
    series = job.episode.season.series
    character = character_create(actor=None, series=series)
    ctx = StageContext(job=job, pass_number=1, workspace=Workspace(job.pk), stage="identify")
    ctx.job.refresh_from_db()
    sf.write(ctx.workspace.path("analysis/voice_refs/SPEAKER_00.clone.wav"),
             0.1 * np.sin(np.arange(19845) * 0.05).astype(np.float32), 22050)  # 0.9 s
    store_job_ref(ctx.workspace, "analysis/voice_refs/SPEAKER_00.clone.wav")
    keep_series_refs(ctx, {"SPEAKER_00": {"clone_path": "analysis/voice_refs/SPEAKER_00.clone.wav", "seconds": 0.9}},
                     {"SPEAKER_00": {"character_id": character.pk}})
    assert not VoiceRef.objects.filter(character=character).exists()
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("series refs:")]
    assert said and "not kept" in said[-1] and "0.9 s" in said[-1], said


@pytest.mark.django_db
def test_an_optional_step_logs_its_failure_and_the_stage_goes_on(tmp_path):
    import logging

    job = submit(make_episode(tmp_path))
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    log = logging.getLogger("test.optional")
    log.addHandler(handler)
    ctx = StageContext(job=job, pass_number=1, workspace=Workspace(job.pk), log=log, stage="refs")
    with ctx.optional("keeping series refs"):
        raise ValueError("storage unreachable")
    assert records and "keeping series refs skipped: ValueError: storage unreachable" in records[0].getMessage()
    from jobs.stages import JobCancelled

    with pytest.raises(JobCancelled):
        with ctx.optional("previews"):
            raise JobCancelled()
    assert json.dumps(records[0].data)  # the job log's data stays JSON


@pytest.mark.django_db(transaction=True)
def test_a_busy_workers_heartbeat_finds_another_hosts_lost_job(tmp_path, settings):
    """When every worker is busy, the scheduled recovery waits; running jobs' heartbeats look too."""
    from jobs.runner import _Heartbeat

    settings.DUBSITE_HEARTBEAT_SECONDS = 0.05  # stale after 0.6 s; recovery checks every 0.3 s
    mine = submit(make_episode(tmp_path))
    lost = submit(make_episode(tmp_path))
    long_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk=mine.pk).update(state=JobState.RUNNING, worker=worker_identity(), heartbeat=long_ago)
    Job.objects.filter(pk=lost.pk).update(state=JobState.RUNNING, worker="another-host:1:0", heartbeat=long_ago)
    beat = _Heartbeat(mine.pk)
    beat.start()
    try:
        deadline = time.monotonic() + 10
        while Job.objects.get(pk=lost.pk).state == JobState.RUNNING:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        beat.stop.set()
        beat.join(timeout=5)
    assert Job.objects.get(pk=lost.pk).state == JobState.QUEUED
    assert Job.objects.get(pk=mine.pk).state == JobState.RUNNING  # its own beat kept it alive
