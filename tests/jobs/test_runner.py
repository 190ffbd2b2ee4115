"""The runner: first real stage (probe + extract), clear failures, cancel, retry, idempotence."""
from __future__ import annotations

import socket

import pytest
import soundfile as sf

from jobs.artifacts import Workspace, storage_name
from jobs.models import Job, JobEvent, JobState, PassState, StageRun, StageState
from jobs.runner import run_job
from jobs.services import job_cancel, job_retry, job_submit, jobs_recover_stale
from tests.factories import make_episode, make_user

pytestmark = pytest.mark.django_db


def submit(episode, **kw) -> Job:
    return job_submit(actor=make_user("operator"), episode=episode, enqueue_task=False, **kw)


def test_extract_stage_writes_analysis_and_mix_audio(tmp_path):
    from django.core.files.storage import default_storage

    job = submit(make_episode(tmp_path, seconds=3.0), mode="low")
    assert run_job(job.pk) == JobState.SUCCEEDED
    job.refresh_from_db()
    assert job.progress == 1.0 and job.finished and job.attempts == 1
    run = StageRun.objects.get(job=job, name="extract")
    assert run.state == StageState.SUCCEEDED and len(run.fingerprint) == 64 and run.duration > 0
    assert abs(run.outputs["duration"] - 3.0) < 0.1
    for rel, rate, channels in (("audio.wav", 16000, 1), ("audio_stereo.wav", 48000, 2)):
        assert default_storage.exists(storage_name(job.pk, rel))
        info = sf.info(str(Workspace(job.pk).ensure_local(rel)))  # the work folder went with the job's end
        assert (info.samplerate, info.channels) == (rate, channels)
        assert abs(info.duration - 3.0) < 0.05
    assert job.passes.get(number=1).state == PassState.SUCCEEDED
    messages = list(JobEvent.objects.filter(job=job).values_list("message", flat=True))
    assert any("probed 3.0" in m for m in messages) and messages[-1] == "succeeded"


def test_rerunning_a_finished_job_is_a_no_op(tmp_path):
    job = submit(make_episode(tmp_path))
    run_job(job.pk)
    runs = StageRun.objects.filter(job=job).count()
    assert run_job(job.pk) is None
    assert StageRun.objects.filter(job=job).count() == runs


def test_retry_resumes_and_skips_finished_stages(tmp_path):
    job = submit(make_episode(tmp_path))
    run_job(job.pk)
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED)  # as if a later stage had failed
    job_retry(actor=make_user("operator"), job=job, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED
    assert StageRun.objects.filter(job=job, name="extract").count() == 1
    assert JobEvent.objects.filter(job=job, message="pass 1: already complete (resumed)").exists()


def test_a_stage_with_unchanged_inputs_is_skipped_on_resume(tmp_path):
    """The worker died after extract finished but before the pass was marked done."""
    job = submit(make_episode(tmp_path))
    run_job(job.pk)
    job.passes.update(state=PassState.RUNNING)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, worker=f"{socket.gethostname()}:999999999:0")
    assert run_job(job.pk) is None  # a running job is its worker's: a duplicate queue entry does nothing
    assert jobs_recover_stale() == [job.pk]  # that worker's process is gone from this host
    assert run_job(job.pk) == JobState.SUCCEEDED
    assert StageRun.objects.filter(job=job, name="extract").count() == 1
    assert JobEvent.objects.filter(job=job, message__startswith="extract: resumed (inputs unchanged").exists()
    assert JobEvent.objects.filter(job=job, message__startswith="resumed (attempt 2").exists()


def test_corrupt_source_fails_the_job_with_a_reason(tmp_path):
    episode = make_episode(tmp_path)
    with open(episode.source_video.path, "r+b") as fh:  # corrupt the stored file after upload
        fh.write(b"\x00garbage" * 4096)
        fh.truncate(40000)
    job = submit(episode)
    assert run_job(job.pk) == JobState.FAILED
    job.refresh_from_db()
    assert "cannot be used" in job.error
    assert job.passes.get(number=1).state == PassState.FAILED
    assert episode.source_video.storage.exists(episode.source_video.name)  # nothing is lost


def test_audio_less_source_fails_the_job_with_a_reason(tmp_path):
    job = submit(make_episode(tmp_path, audio=False))
    assert run_job(job.pk) == JobState.FAILED
    job.refresh_from_db()
    assert "no audio stream" in job.error


def test_unexpected_error_ends_errored_with_traceback(tmp_path, monkeypatch):
    from jobs.stages.extract import ExtractStage

    def boom(self, ctx):
        raise ZeroDivisionError("bug in a stage")

    monkeypatch.setattr(ExtractStage, "run", boom)
    job = submit(make_episode(tmp_path))
    assert run_job(job.pk) == JobState.ERRORED
    job.refresh_from_db()
    assert job.error == "ZeroDivisionError: bug in a stage"
    event = JobEvent.objects.filter(job=job, level="error").last()
    assert "Traceback" in event.message and "bug in a stage" in event.message


def test_cancel_of_a_queued_job_is_immediate_and_the_runner_skips_it(tmp_path):
    job = submit(make_episode(tmp_path))
    job_cancel(actor=make_user("operator"), job=job)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED
    assert run_job(job.pk) is None
    assert not StageRun.objects.filter(job=job).exists()


def test_cancel_of_a_running_job_stops_at_the_next_stage_boundary(tmp_path, monkeypatch):
    job = submit(make_episode(tmp_path))
    operator = make_user("operator")

    def on_stage(name, done, total):
        # the request arrives while the job runs; the runner honours it before the next stage
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)

    from jobs.models import PassKind
    from jobs.stages import STAGES_BY_KIND
    from jobs.stages.extract import ExtractStage

    # a second stage so that there is a boundary to stop at
    monkeypatch.setitem(STAGES_BY_KIND, PassKind.DUB, [*STAGES_BY_KIND[PassKind.DUB], ExtractStage()])
    state = run_job(job.pk, on_stage=on_stage)
    assert state == JobState.CANCELLED
    assert job_retry(actor=operator, job=job, enqueue_task=False).state == JobState.QUEUED


def test_two_pass_follows_the_mode(tmp_path):
    assert submit(make_episode(tmp_path), mode="high").two_pass is True
    assert submit(make_episode(tmp_path), mode="low").two_pass is False
    job = submit(make_episode(tmp_path), mode="low", two_pass=True)
    assert list(job.passes.values_list("number", flat=True)) == [1, 2]
