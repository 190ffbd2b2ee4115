"""A person assigns a job's label to a character (existing or new): audited, wins over matching
(provider "assigned"), and the label's snapshot follows; "enroll this ref" keeps the job's
encrypted ref as the character's series ref."""
from __future__ import annotations

import pytest

from dubsite.errors import Conflict, Forbidden, Invalid
from dubsite.models import AuditEvent
from jobs.artifacts import Workspace
from jobs.speakers import job_speaker_enroll
from series.services import character_create
from tests.factories import make_series, make_user
from voices.merge import character_merge
from voices.models import CharacterEmbedding, EmbeddingSnapshot, EpisodeSpeaker
from voices.services import voice_ref_latest, voice_ref_read
from voices.speakers import speaker_assign

from .memory import job_with_ref, populated

pytestmark = pytest.mark.django_db


def test_assign_an_existing_character_moves_the_snapshot_and_audits(tmp_path):
    series = make_series(slug="asg")
    a, b, c = populated(series, tmp_path)
    speaker = EpisodeSpeaker.objects.get(character=c)
    speaker.flagged, speaker.reason = True, "low margin"
    speaker.save()
    editor = make_user("editor")
    speaker_assign(actor=editor, speaker=speaker, character=a)
    speaker.refresh_from_db()
    assert (speaker.character, speaker.provider, speaker.assigned_by, speaker.flagged) == (a, "assigned", editor, False)
    assert speaker.assigned_at is not None and speaker.reason == ""
    assert EmbeddingSnapshot.objects.get(job_id=speaker.job_id, label=speaker.label).character == a
    assert CharacterEmbedding.objects.get(character=a).count == 3
    assert not CharacterEmbedding.objects.filter(character=c).exists()
    event = AuditEvent.objects.get(action="episode_speaker.assign")
    assert event.old["character"] == c.pk and event.new["character"] == a.pk and event.actor == editor


def test_assign_a_new_character(tmp_path):
    series = make_series(slug="asg2")
    a, _, _ = populated(series, tmp_path)
    speaker = EpisodeSpeaker.objects.filter(character=a).first()
    speaker_assign(actor=make_user("editor"), speaker=speaker, new_name="Dora")
    speaker.refresh_from_db()
    assert speaker.character.display_name == "Dora" and speaker.character.series == series
    assert AuditEvent.objects.filter(action="character.create", target_id=str(speaker.character.pk)).exists()


def test_assign_refusals(tmp_path):
    series = make_series(slug="asg3")
    a, b, c = populated(series, tmp_path)
    speaker = EpisodeSpeaker.objects.filter(character=c).first()
    with pytest.raises(Forbidden):
        speaker_assign(actor=make_user("operator"), speaker=speaker, character=a)
    editor = make_user("editor")
    with pytest.raises(Invalid, match="either"):
        speaker_assign(actor=editor, speaker=speaker, character=a, new_name="X")
    with pytest.raises(Invalid, match="another series"):
        speaker_assign(actor=editor, speaker=speaker, character=character_create(actor=None, series=make_series()))
    character_merge(actor=make_user("admin"), source=b, target=a)
    b.refresh_from_db()
    with pytest.raises(Invalid, match="alias"):
        speaker_assign(actor=editor, speaker=speaker, character=b)
    assert not AuditEvent.objects.filter(action="episode_speaker.assign").exists()


def test_enroll_keeps_the_jobs_ref_as_the_characters_series_ref(tmp_path, isolated_storage):
    series = make_series(slug="enr")
    character = character_create(actor=None, series=series)
    job, ep, plain = job_with_ref(series)
    EpisodeSpeaker.objects.create(episode=ep, job_id=job.pk, label="S1", character=character)
    with pytest.raises(Forbidden):
        job_speaker_enroll(actor=make_user("operator"), job=job, label="S1")
    ref = job_speaker_enroll(actor=make_user("editor"), job=job, label="S1")
    assert voice_ref_latest(character) == ref and ref.source == "job" and ref.source_job_id == job.pk
    assert voice_ref_read(ref) == plain
    assert not Workspace(job.pk).root.exists()  # no work folder left behind for an ended job
    EpisodeSpeaker.objects.create(episode=ep, job_id=job.pk, label="S9", character=character)
    with pytest.raises(Conflict, match="kept no ref"):
        job_speaker_enroll(actor=make_user("editor"), job=job, label="S9")
