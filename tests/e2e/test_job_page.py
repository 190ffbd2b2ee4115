"""The job page tells the truth while a job runs: the passes and stages tables follow the
progress bar without a reload, and Cancel asks before it acts."""
from __future__ import annotations

import pytest
from django.utils import timezone

from jobs.models import Job, JobState, Pass, PassState, StageRun, StageState
from jobs.services import job_submit
from tests.e2e.conftest import login
from tests.factories import make_episode, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def running_job(tmp_path) -> Job:
    job = job_submit(actor=make_user("operator"), episode=make_episode(tmp_path), mode="low", two_pass=True,
                     enqueue_task=False)
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, started=timezone.now(), progress=0.05,
                                         current_stage="extract")
    Pass.objects.filter(job=job, number=1).update(state=PassState.RUNNING)
    StageRun.objects.create(job=job, pass_obj=job.passes.get(number=1), name="extract", fingerprint="e" * 64)
    return job


def test_passes_and_stages_follow_the_running_job(live_server, page, tmp_path):
    job = running_job(tmp_path)
    login(page, live_server, make_user("viewer"))
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    stages = page.locator("#stages")
    assert "extract" in stages.inner_text() and "running" in stages.inner_text()

    # the worker moves on: extract done, separate running at 30 %
    StageRun.objects.filter(job=job, name="extract").update(state=StageState.SUCCEEDED, duration=1.25,
                                                            finished=timezone.now())
    StageRun.objects.create(job=job, pass_obj=job.passes.get(number=1), name="separate", fingerprint="s" * 64)
    Job.objects.filter(pk=job.pk).update(progress=0.3, current_stage="separate")
    page.wait_for_function("document.querySelector('#stages').innerText.includes('separate')", timeout=10000)
    rows = [r.inner_text() for r in stages.locator("tr").all()]
    assert "succeeded" in rows[0] and "1.25 s" in rows[0] and "running" in rows[1], rows
    assert page.locator("#pct").inner_text() == "30%"
    assert "running" in page.locator("#passes").inner_text()
    assert page.errors == []


def test_cancel_asks_first_and_does_nothing_when_declined(live_server, page, tmp_path):
    job = running_job(tmp_path)
    login(page, live_server, make_user("operator"))
    page.goto(f"{live_server.url}/jobs/{job.pk}/")
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.click("form[action$='/cancel/'] button")
    page.wait_for_timeout(500)
    assert asked and "Cancel job" in asked[0]
    assert not Job.objects.get(pk=job.pk).cancel_requested

    page.once("dialog", lambda d: answer(d, True))
    with page.expect_navigation():
        page.click("form[action$='/cancel/'] button")
    assert Job.objects.get(pk=job.pk).cancel_requested
    assert "Cancel requested" in page.content()
