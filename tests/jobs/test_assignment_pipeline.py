"""A person's assignment through whole jobs: it wins over voice memory when the job re-runs from
identify, lines and voices follow it, and "Rerun pass 2" keeps it (demo episodes 1 and 2)."""
from __future__ import annotations

import json

import pytest
from django.core.files import File

from dubsite.models import AuditEvent
from jobs.artifacts import Workspace
from jobs.models import JobState
from jobs.runner import run_job
from jobs.services import job_reidentify, job_rerun_pass2, job_submit
from media.demo import SCRIPT, SCRIPT_2, build_demo_episode
from review.models import Segment
from series.services import episode_create
from tests.factories import make_series, make_user
from voices.models import EpisodeSpeaker
from voices.speakers import speaker_assign

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def dubbed(series, number, script, tmp_path):
    path = build_demo_episode(tmp_path / f"e{number}.mp4", script=script).path
    with open(path, "rb") as fh:
        episode = episode_create(actor=make_user("admin"), series=series, season_number=1, number=number,
                                 upload=File(fh, name=path.name))
    job = job_submit(actor=make_user("operator"), episode=episode, mode="low", two_pass=False, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED
    return job


def lines_by_label(job) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for seg in Segment.objects.filter(job_id=job.pk):
        out.setdefault(seg.diar_label, set()).add(seg.character_id)
    return out


def test_an_assignment_wins_and_survives_rerun_pass_two(tmp_path):
    series = make_series()
    dubbed(series, 1, SCRIPT, tmp_path)
    job = dubbed(series, 2, SCRIPT_2, tmp_path)
    speakers = {s.label: s for s in EpisodeSpeaker.objects.filter(job_id=job.pk)}
    assert {s.provider for s in speakers.values()} == {"auto"}
    label, other = sorted(speakers)
    editor = make_user("editor")
    assigned = speaker_assign(actor=editor, speaker=speakers[label], new_name="Stranger")
    assert AuditEvent.objects.filter(action="episode_speaker.assign", actor=editor).exists()

    job_reidentify(actor=editor, job=job, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED
    rows = {s.label: s for s in EpisodeSpeaker.objects.filter(job_id=job.pk)}
    assert rows[label].character_id == assigned.character_id and rows[label].provider == "assigned"
    assert rows[other].character_id == speakers[other].character_id  # still recognised by voice
    assert lines_by_label(job)[label] == {assigned.character_id}  # every line of the label follows

    job_rerun_pass2(actor=make_user("operator"), job=job, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED
    job.refresh_from_db()
    assert EpisodeSpeaker.objects.get(job_id=job.pk, label=label).provider == "assigned"
    assert lines_by_label(job)[label] == {assigned.character_id}
    manifest = json.loads(Workspace(job.pk).ensure_local(job.outputs["tts_manifest"]).read_text())
    assert manifest["pass"] == 2 and manifest["speakers"][label]["character"] == assigned.character.code
