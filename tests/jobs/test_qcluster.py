"""Jobs run by a real django-q2 `qcluster` process, with the ORM broker and with Redis."""
from __future__ import annotations

import time

import pytest
from django_q.models import Task

from jobs.models import JobState, StageRun
from jobs.services import job_cancel, job_submit
from tests.factories import make_episode, make_user
from tests.jobs.conftest import cluster_log, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("cluster", ["orm", "redis"], indirect=True)
def test_submitted_job_is_run_by_a_real_worker(cluster, tmp_path):
    episode = make_episode(tmp_path, seconds=2.0)
    job = job_submit(actor=make_user("operator"), episode=episode, mode="low")  # enqueued on commit
    job = wait_for(job, cluster)
    assert job.state == JobState.SUCCEEDED, job.error
    assert job.task_id, "the task id of the enqueued task is recorded"
    run = StageRun.objects.get(job=job, name="extract")
    assert run.state == "succeeded" and abs(run.outputs["duration"] - 2.0) < 0.1


def test_a_failing_job_in_the_worker_ends_failed_not_retried(cluster, tmp_path):
    episode = make_episode(tmp_path, audio=False)
    job = job_submit(actor=make_user("operator"), episode=episode)
    job = wait_for(job, cluster)
    assert job.state == JobState.FAILED and "no audio stream" in job.error
    assert job.attempts == 1


def test_cancel_before_the_worker_picks_it_up(cluster, tmp_path):
    episode = make_episode(tmp_path)
    operator = make_user("operator")
    job = job_submit(actor=operator, episode=episode, enqueue_task=False)
    job_cancel(actor=operator, job=job)
    from jobs.services import enqueue

    enqueue(job.pk)  # a stale queue entry for a cancelled job must do nothing
    job.refresh_from_db()
    deadline = time.monotonic() + 60
    while not Task.objects.filter(id=job.task_id).exists():  # the worker has run and recorded it
        assert time.monotonic() < deadline, cluster_log(cluster)
        time.sleep(0.2)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED and not StageRun.objects.filter(job=job).exists()
