"""The pass plan as data (passes and their kinds from the job's Pass rows), and "Synthesize approved":
who may, when it is refused, what it queues and audits; API and page. The real pass on the demo
episode is in test_resynth_pipeline.py."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from dubsite.errors import Conflict, Forbidden
from dubsite.models import AuditEvent
from jobs.models import Job, JobState, Pass, PassKind, PassState
from jobs.services import job_rerun_pass2, job_submit, job_synthesize_approved
from jobs.stages import STAGES_BY_KIND, pass_plan
from review.models import Segment
from tests.factories import make_episode, make_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DUB = ["extract", "separate", "diarize", "refs", "identify", "asr", "translate", "segments", "tts", "mix", "mux", "qc"]


def finished_job(tmp_path, *, approved: bool = True, kinds=(PassKind.DUB,)) -> Job:
    """A succeeded job with its dub in place and two lines (one approved when asked)."""
    episode = make_episode(tmp_path)
    job = Job.objects.create(episode=episode, state=JobState.SUCCEEDED, outputs={"pass": 1, "mkv": "pass1/dub.mkv"})
    for number, kind in enumerate(kinds, start=1):
        Pass.objects.create(job=job, number=number, kind=kind, state=PassState.SUCCEEDED)
    for i in range(2):
        Segment.objects.create(episode=episode, job_id=job.pk, index=i, start=i * 2.0, end=i * 2.0 + 1.5,
                               target_text=f"line {i}", approved=approved and i == 0)
    return job


# ---- the plan ---------------------------------------------------------------------------------

def test_the_plan_is_built_from_the_pass_rows_for_each_kind(tmp_path):
    job = finished_job(tmp_path, kinds=(PassKind.DUB, PassKind.CLONE, PassKind.RESYNTH))
    plan = pass_plan(job)
    assert [(p.number, p.kind) for p in plan] == [(1, "dub"), (2, "clone"), (3, "resynth")]
    assert [s.name for s in plan[0].stages] == DUB
    assert [s.name for s in plan[1].stages] == ["tts", "mix", "mux", "qc"]
    assert [s.name for s in plan[2].stages] == ["tts", "mix", "mux", "qc"]
    assert plan[2].stages is STAGES_BY_KIND[PassKind.RESYNTH]


def test_a_job_without_pass_rows_gets_the_default_passes(tmp_path):
    job = Job.objects.create(episode=make_episode(tmp_path), two_pass=True)
    assert [(p.number, p.kind) for p in pass_plan(job)] == [(1, "dub"), (2, "clone")]


@pytest.mark.parametrize("two_pass, kinds", [(False, ["dub"]), (True, ["dub", "clone"])])
def test_submit_creates_the_passes_with_their_kinds(tmp_path, two_pass, kinds):
    job = job_submit(actor=make_user("operator"), episode=make_episode(tmp_path), mode="low", two_pass=two_pass,
                     enqueue_task=False)
    assert list(job.passes.values_list("kind", flat=True)) == kinds


def test_rerun_pass2_keeps_the_clone_pass_or_adds_one_after_the_last(tmp_path):
    operator = make_user("operator")
    two = finished_job(tmp_path, kinds=(PassKind.DUB, PassKind.CLONE, PassKind.RESYNTH))
    job_rerun_pass2(actor=operator, job=two, enqueue_task=False)
    assert list(two.passes.values_list("number", "kind", "state")) == [
        (1, "dub", "succeeded"), (2, "clone", "pending"), (3, "resynth", "succeeded")]
    # pass 2 is taken by a resynth pass: the clone pass comes after the last
    one = finished_job(tmp_path, kinds=(PassKind.DUB, PassKind.RESYNTH))
    job_rerun_pass2(actor=operator, job=one, enqueue_task=False)
    assert list(one.passes.values_list("number", "kind", "state")) == [
        (1, "dub", "succeeded"), (2, "resynth", "succeeded"), (3, "clone", "pending")]


def test_no_stage_asks_the_pass_number_what_to_do():
    offenders = []
    for folder in ("jobs", "voices", "review"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if re.search(r"pass_number\s*(>=|>|==)\s*\d|\bn\s*>=\s*2\b|number\s*==\s*1\b", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


# ---- the service ------------------------------------------------------------------------------

def test_an_operator_queues_a_resynth_pass_audited_and_enqueued_after_commit(
        tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    queued = []
    monkeypatch.setattr("jobs.services.enqueue", queued.append)
    job = finished_job(tmp_path, kinds=(PassKind.DUB, PassKind.CLONE))
    operator = make_user("operator")
    with django_capture_on_commit_callbacks(execute=True):
        job = job_synthesize_approved(actor=operator, job=job)
    assert job.state == JobState.QUEUED and queued == [job.pk]
    new = job.passes.get(number=3)
    assert new.kind == PassKind.RESYNTH and new.state == PassState.PENDING
    event = AuditEvent.objects.get(action="job.synthesize_approved", actor=operator)
    assert event.new["pass"] == 3 and event.new["lines_ready"] == 1 and event.old["state"] == "succeeded"


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_viewers_and_editors_may_not(tmp_path, role):
    job = finished_job(tmp_path)
    with pytest.raises(Forbidden):
        job_synthesize_approved(actor=make_user(role), job=job, enqueue_task=False)
    assert job.passes.count() == 1 and not AuditEvent.objects.filter(action="job.synthesize_approved").exists()


def test_admins_may(tmp_path):
    job = job_synthesize_approved(actor=make_user("admin"), job=finished_job(tmp_path), enqueue_task=False)
    assert job.state == JobState.QUEUED


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.RUNNING, JobState.FAILED])
def test_a_job_without_a_finished_dub_is_refused(tmp_path, state):
    job = finished_job(tmp_path)
    Job.objects.filter(pk=job.pk).update(state=state)
    with pytest.raises(Conflict) as refused:
        job_synthesize_approved(actor=make_user("operator"), job=job, enqueue_task=False)
    assert refused.value.status == 409 and "finished dub" in refused.value.message


def test_another_active_job_of_the_episode_is_refused(tmp_path):
    job = finished_job(tmp_path)
    Job.objects.create(episode=job.episode, state=JobState.RUNNING)
    with pytest.raises(Conflict) as refused:
        job_synthesize_approved(actor=make_user("operator"), job=job, enqueue_task=False)
    assert "already has a queued or running job" in refused.value.message
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.passes.count() == 1


def test_nothing_approved_or_locked_is_refused_with_a_reason(tmp_path):
    job = finished_job(tmp_path, approved=False)
    with pytest.raises(Conflict) as refused:
        job_synthesize_approved(actor=make_user("operator"), job=job, enqueue_task=False)
    assert "no approved or locked lines" in refused.value.message
    Segment.objects.filter(job_id=job.pk, index=1).update(locked=True)  # a locked line is ready too
    assert job_synthesize_approved(actor=make_user("operator"), job=job, enqueue_task=False).state == "queued"


# ---- API and page ---------------------------------------------------------------------------

def client_for(role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(make_user(role))
    return client


@pytest.mark.parametrize("role, code", [("anonymous", 401), ("viewer", 403), ("editor", 403), ("operator", 202),
                                        ("admin", 202)])
def test_api(tmp_path, role, code):
    job = finished_job(tmp_path)
    response = client_for(role).post(f"/api/jobs/{job.pk}/synthesize")
    assert response.status_code == code, response.content
    if code == 202:
        body = response.json()
        assert body["id"] == job.pk and body["state"] == "queued"
        assert job.passes.get(number=2).kind == PassKind.RESYNTH


def test_api_conflicts_are_409(tmp_path):
    job = finished_job(tmp_path, approved=False)
    response = client_for("operator").post(f"/api/jobs/{job.pk}/synthesize")
    assert response.status_code == 409 and "no approved or locked lines" in response.json()["message"]
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING)
    assert client_for("operator").post(f"/api/jobs/{job.pk}/synthesize").status_code == 409


@pytest.mark.parametrize("role, shown", [("viewer", False), ("editor", False), ("operator", True), ("admin", True)])
def test_the_button_shows_only_with_the_permission(tmp_path, role, shown):
    job = finished_job(tmp_path)
    page = client_for(role).get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert (reverse("jobs:synthesize", args=[job.pk]) in page) is shown
    assert "Synthesize approved" in page or not shown


@pytest.mark.parametrize("role, allowed", [("viewer", False), ("editor", False), ("operator", True)])
def test_the_view_checks_the_permission_regardless_of_the_button(tmp_path, role, allowed):
    job = finished_job(tmp_path)
    response = client_for(role).post(reverse("jobs:synthesize", args=[job.pk]))
    job.refresh_from_db()
    if allowed:
        assert response.status_code == 302 and job.state == JobState.QUEUED
    else:
        assert response.status_code == 403 and job.state == JobState.SUCCEEDED


def test_the_view_explains_a_refusal(tmp_path):
    job = finished_job(tmp_path, approved=False)
    response = client_for("operator").post(reverse("jobs:synthesize", args=[job.pk]), follow=True)
    assert "no approved or locked lines" in response.content.decode()


# ---- what a resynth pass does with each line ----------------------------------------------------

def _line(text="Hello there.", *, approved=True, locked=False, voice="espeak:en+m3", character_voice=None,
          source="preset"):
    from types import SimpleNamespace

    from jobs.stages.lineplans import clip_key

    key = clip_key(text="Hello there.", voice=voice, source=source, ref="", clone=False, start=1.0, end=2.5, cap=1.35)
    character = SimpleNamespace(voice_settings={"voice": character_voice or voice})
    return SimpleNamespace(target_text=text, approved=approved, locked=locked, start=1.0, end=2.5, character_id=1,
                           character=character, diar_label="SPEAKER_00",
                           voice_plan={"voice": voice, "source": source, "ref": "", "clone": False,
                                       "clip": "jobs/1/tts/pass1/clips/0-x.wav", "clip_key": key})


@pytest.mark.parametrize("line, take, action", [
    (_line(), None, "reused"),                                               # nothing changed
    (_line("Hi."), None, "resynthesized"),                                   # approved, text changed
    (_line("Hi.", approved=False), None, "reused"),                          # an edit waits for approval
    (_line("Hi.", approved=False, locked=True), None, "resynthesized"),      # locked text is spoken
    (_line(character_voice="piper:en_US-joe-medium"), None, "resynthesized"),  # the character's voice changed
    (_line(character_voice="piper:en_US-joe-medium", source="matched_preset"), None, "reused"),  # matched keeps its
    (_line("Hi."), ("Hi.", 2), "take"),                                      # the chosen take says the text
    (_line("Hi."), ("Hello there.", 2), "resynthesized"),                    # a take of older text is not used
])
def test_each_line_is_reused_respoken_or_taken_from_its_take(line, take, action):
    from types import SimpleNamespace

    from jobs.stages.resynth import decide

    chosen = SimpleNamespace(text=take[0], number=take[1]) if take else None
    assert decide(line, chosen, 1.35)[0] == action


def test_a_line_without_a_stored_plan_is_spoken():
    from jobs.stages.resynth import decide

    line = _line(approved=False)
    line.voice_plan = {}
    assert decide(line, None, 1.35) == ("resynthesized", "no stored clip or voice plan")


@pytest.mark.parametrize("role, allowed", [("operator", True), ("admin", True), ("editor", False)])
def test_the_admin_action(tmp_path, role, allowed):
    job = finished_job(tmp_path)
    client = client_for(role)
    client.post(reverse("admin:jobs_job_changelist"), {"action": "synthesize_approved", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert (job.state == JobState.QUEUED) is allowed
    assert AuditEvent.objects.filter(action="job.synthesize_approved").exists() is allowed


def test_cancelling_a_queued_resynth_keeps_the_succeeded_job_and_its_dub(tmp_path):
    from jobs.services import job_cancel

    operator = make_user("operator")
    job = job_synthesize_approved(actor=operator, job=finished_job(tmp_path), enqueue_task=False)
    job = job_cancel(actor=operator, job=job)
    assert job.state == JobState.SUCCEEDED and job.outputs["pass"] == 1
    assert job.passes.get(number=2).state == PassState.CANCELLED
    # and it may be asked again: a new pass after the cancelled one
    job_synthesize_approved(actor=operator, job=job, enqueue_task=False)
    assert list(job.passes.values_list("number", "kind", "state")) == [
        (1, "dub", "succeeded"), (2, "resynth", "cancelled"), (3, "resynth", "pending")]
