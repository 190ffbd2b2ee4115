"""A job's files go with its row, however the row goes."""
from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from jobs.artifacts import Workspace
from jobs.models import Job, JobState
from jobs.runner import run_job
from jobs.services import job_submit
from tests.conftest import files_under
from tests.factories import make_episode, make_user

pytestmark = pytest.mark.django_db


def submit(episode, **kw) -> Job:
    return job_submit(actor=make_user("operator"), episode=episode, enqueue_task=False, mode="low", **kw)


def job_files(job: Job, media) -> dict[str, int]:
    return files_under(media / "jobs" / str(job.pk))


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
