"""Editors' work survives real jobs on the demo episode: after a finished job an editor edits line X
and locks line Y with a text of their own; then (a) the job runs again from scratch and (b) a new job
dubs the same episode in the same language. Both keep X's and Y's texts and Y's lock (lines found by
time, never by index), their logs say what was kept, replaced, added and removed, and the dub speaks
Y's locked text: round-trip ASR (tiny.en) of Y's slot in the job's dialogue track hears its words.

One module-scoped run (three jobs, ~1.5 min on two cores) serves every test: the data lives in one
transaction that is rolled back when the module ends, so nothing leaks into other tests."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.core.files import File
from django.db import transaction

from jobs.artifacts import Workspace
from jobs.models import Job, JobEvent, JobState, PassState, StageRun
from jobs.runner import run_job
from jobs.services import job_submit
from media.asr import transcribe
from media.metrics import wer
from media.demo import build_demo_episode
from review.editing import segment_edit, segment_lock
from review.models import Segment
from series.services import episode_create
from tests.factories import make_series, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# distinctive words, none of them in the demo script, so hearing them proves whose text was spoken
LOCKED = "Bring the yellow umbrella tomorrow morning."
EDITED = "Let us check the windows before the rain arrives."


@dataclass
class Line:
    start: float
    end: float


@dataclass
class Run:
    first: Job  # dubbed, edited by the editor, then run again from scratch (a)
    second: Job  # a new job on the same episode and language (b)
    x: Line  # the edited line's slot when it was edited
    y: Line  # the locked line's slot
    y_source: str


def line_saying(job: Job, words: str) -> Segment:
    """The job's line whose source text has these words (the demo script's line, as ASR heard it)."""
    found = [s for s in Segment.objects.filter(job_id=job.pk) if words in s.source_text.lower()]
    assert len(found) == 1, [s.source_text for s in Segment.objects.filter(job_id=job.pk)]
    return found[0]


def line_at(job: Job, at: Line) -> Segment:
    """The job's line over a time slot: the one overlapping it most (how reruns match lines)."""
    def overlap(s: Segment) -> float:
        return min(s.end, at.end) - max(s.start, at.start)

    best = max(Segment.objects.filter(job_id=job.pk), key=overlap)
    assert overlap(best) > 0.5 * (at.end - at.start), (at, best)
    return best


def rerun_from_scratch(job: Job) -> None:
    """Run a finished job again from its first stage. No service does that (retry resumes a failed
    job; re-identify restarts at identify and would skip `segments`, whose inputs did not change),
    so its stage runs are forgotten, as a rerun from scratch would, and it is queued again."""
    StageRun.objects.filter(job=job).delete()
    job.passes.update(state=PassState.PENDING, error="", started=None, finished=None)
    Job.objects.filter(pk=job.pk).update(state=JobState.QUEUED, error="", finished=None, cancel_requested=False)
    assert run_job(job.pk) == JobState.SUCCEEDED, Job.objects.get(pk=job.pk).error


@pytest.fixture(scope="module")
def run(django_db_setup, django_db_blocker, tmp_path_factory):
    video = build_demo_episode(tmp_path_factory.mktemp("survival") / "demo.mp4").path
    with django_db_blocker.unblock(), transaction.atomic():
        series = make_series()  # en → en: identity translation, lines spoken by English voices
        with open(video, "rb") as fh:
            episode = episode_create(actor=make_user("admin"), series=series, season_number=1, number=1,
                                     upload=File(fh, name=video.name))
        operator, editor = make_user("operator"), make_user("editor")
        first = job_submit(actor=operator, episode=episode, mode="low", two_pass=False, enqueue_task=False)
        assert run_job(first.pk) == JobState.SUCCEEDED, Job.objects.get(pk=first.pk).error

        x = line_saying(first, "storm")
        x = segment_edit(actor=editor, segment=x, target_text=EDITED, version=x.version)
        y = line_saying(first, "not moved")
        y = segment_edit(actor=editor, segment=y, target_text=LOCKED, version=y.version)
        y = segment_lock(actor=editor, segment=y, version=y.version)

        rerun_from_scratch(first)
        second = job_submit(actor=operator, episode=episode, mode="low", two_pass=False, enqueue_task=False)
        assert run_job(second.pk) == JobState.SUCCEEDED, Job.objects.get(pk=second.pk).error
        yield Run(Job.objects.get(pk=first.pk), Job.objects.get(pk=second.pk), Line(x.start, x.end),
                  Line(y.start, y.end), y.source_text)
        transaction.set_rollback(True)


def segments_log(job: Job) -> list[str]:
    return list(JobEvent.objects.filter(job=job, message__startswith="segments:", message__contains=" kept locked").values_list("message", flat=True))


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def heard(job: Job, at: Line) -> str:
    """What tiny.en hears of the line in the job's pass-1 dialogue track (the TTS of every line), where
    the dub placed it: media.placement may move a line up to DUBSITE_TTS_MAX_SHIFT off its source
    slot, and its voice plan says where (`at`) and for how long (`seconds`) it sounds."""
    plan = line_at(job, at).voice_plan
    start, seconds = plan["at"], plan["seconds"]
    assert abs(start - at.start) <= 1.0 + 1e-3, plan  # within the default bound
    dialogue = Workspace(job.pk).ensure_local("tts/pass1/dialogue.wav")
    return transcribe(dialogue, clip=(max(start - 0.1, 0.0), start + seconds + 0.2)).text


@pytest.mark.parametrize("which", ["rerun", "new job"])
def test_edited_and_locked_lines_keep_their_text_and_lock(run, which):
    job = run.first if which == "rerun" else run.second
    x, y = line_at(job, run.x), line_at(job, run.y)
    assert x.target_text == EDITED and not x.locked and "not_in_source" not in x.flags
    assert "storm" in x.source_text.lower() and "needs_retranslate" not in x.flags  # same source: kept as is
    assert y.target_text == LOCKED and y.locked
    assert (y.start, y.end, y.source_text) == (run.y.start, run.y.end, run.y_source)  # exactly as locked
    others = Segment.objects.filter(job_id=job.pk).exclude(pk__in=[x.pk, y.pk])
    assert others.count() >= 3 and not others.filter(locked=True).exists()
    assert {s.target_text for s in others}.isdisjoint({EDITED, LOCKED})
    if which == "new job":  # new rows of the new job; the first job's rows stay its own
        assert {x.job_id, y.job_id} == {run.second.pk}
        assert line_at(run.first, run.y).target_text == LOCKED
        assert y.revisions.get().note == f"carried from job {run.first.pk}"


def test_the_logs_say_what_was_kept_replaced_added_and_removed(run):
    first_run, rerun = segments_log(run.first)
    assert "0 kept locked, 0 kept edited" in first_run
    assert re.search(r"1 kept locked, 1 kept edited \(0 flagged needs_retranslate\), \d+ replaced, 0 added, "
                     r"0 removed$", rerun), rerun
    (carried,) = segments_log(run.second)
    assert re.search(r"1 kept locked, 1 kept edited \(0 flagged needs_retranslate\), \d+ replaced, 0 added, "
                     rf"0 removed, 2 carried from job {run.first.pk}$", carried), carried


@pytest.mark.parametrize("which", ["rerun", "new job"])
def test_tts_speaks_the_locked_and_the_edited_text(run, which):
    job = run.first if which == "rerun" else run.second
    # Piper samples each take (noise in its VITS graph, no seed reaches it), and tiny.en now and then
    # mishears a word of a take ("rain arrives" -> "ring rides"): the text spoken is judged by its
    # distinctive word and the WER of the whole line, not by every word
    locked = heard(job, run.y)
    assert "umbrella" in words(locked) and wer(LOCKED, locked) <= 0.35, locked
    assert not {"train", "moved", "years"} & words(locked), locked  # not the machine's text
    edited = heard(job, run.x)
    assert "windows" in words(edited) and wer(EDITED, edited) <= 0.35, edited
    assert "storm" not in words(edited), edited
