"""Re-run from identify: an ended job goes back to the queue with every pass pending, so pass 1 runs
again; stages whose inputs did not change resume, the rest re-run. Editors and operators may."""
from __future__ import annotations

import pytest

from dubsite.errors import Conflict, Forbidden
from dubsite.models import AuditEvent
from jobs.models import Job, JobEvent, JobState, Pass, PassKind, PassState, StageRun
from jobs.runner import run_job
from jobs.services import job_reidentify, job_submit
from tests.factories import make_episode, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", [JobState.SUCCEEDED, JobState.FAILED, JobState.ERRORED, JobState.CANCELLED])
def test_an_ended_job_is_queued_with_every_pass_pending(tmp_path, state, django_capture_on_commit_callbacks,
                                                        monkeypatch):
    queued = []
    monkeypatch.setattr("jobs.services.enqueue", queued.append)
    job = Job.objects.create(episode=make_episode(tmp_path), state=state, two_pass=True, error="boom")
    Pass.objects.create(job=job, number=1, state=PassState.SUCCEEDED)
    Pass.objects.create(job=job, number=2, kind=PassKind.CLONE, state=PassState.FAILED, error="x")
    editor = make_user("editor")
    with django_capture_on_commit_callbacks(execute=True):
        job_reidentify(actor=editor, job=job)
    job.refresh_from_db()
    assert job.state == JobState.QUEUED and job.error == "" and queued == [job.pk]
    assert list(job.passes.values_list("state", flat=True)) == [PassState.PENDING, PassState.PENDING]
    event = AuditEvent.objects.get(action="job.reidentify")
    assert event.old["state"] == state and event.actor == editor


@pytest.mark.parametrize("role,allowed", [("viewer", False), ("operator", True), ("editor", True), ("admin", True)])
def test_who_may(tmp_path, role, allowed):
    job = Job.objects.create(episode=make_episode(tmp_path), state=JobState.FAILED)
    Pass.objects.create(job=job, number=1, state=PassState.FAILED)
    if allowed:
        assert job_reidentify(actor=make_user(role), job=job, enqueue_task=False).state == JobState.QUEUED
    else:
        with pytest.raises(Forbidden):
            job_reidentify(actor=make_user(role), job=job, enqueue_task=False)


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.RUNNING])
def test_an_active_job_is_refused(tmp_path, state):
    job = Job.objects.create(episode=make_episode(tmp_path), state=state)
    with pytest.raises(Conflict, match="once it has ended"):
        job_reidentify(actor=make_user("editor"), job=job, enqueue_task=False)


def test_a_succeeded_job_runs_pass_one_again_resuming_unchanged_stages(tmp_path):
    job = job_submit(actor=make_user("operator"), episode=make_episode(tmp_path), enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED
    runs = StageRun.objects.filter(job=job).count()
    job_reidentify(actor=make_user("editor"), job=job, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED
    assert not JobEvent.objects.filter(job=job, message="pass 1: already complete (resumed)").exists()
    assert JobEvent.objects.filter(job=job, message__startswith="extract: resumed (inputs unchanged").exists()
    assert StageRun.objects.filter(job=job, name="extract").count() == 1
    assert StageRun.objects.filter(job=job).count() >= runs
