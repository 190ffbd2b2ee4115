"""`manage.py demo --submit`: what `make run` gives a new user — a user per role who can log in,
a generated two-character episode, and a finished dub whose voices follow the characters."""
from __future__ import annotations

import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from dubsite.roles import ROLES
from jobs.artifacts import Workspace
from jobs.models import Job, JobState
from media.demo import SCRIPT
from media.metrics import wer
from review.models import Segment
from voices.models import EpisodeSpeaker

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def demo(*args) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_users_episode_and_a_finished_dub(client):
    printed = demo("--submit", "--sync")
    passwords = dict(re.findall(r"created user (\S+)\s+password (\S+)", printed))
    assert set(passwords) == {f"demo_{role}" for role in ROLES}
    for username, password in passwords.items():
        user = get_user_model().objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [username.removeprefix("demo_")]
        assert client.login(username=username, password=password)

    job = Job.objects.get(episode__season__series__slug="demo", episode__number=1)
    assert job.state == JobState.SUCCEEDED, job.error
    assert 20 < job.episode.duration < 30
    lines = list(Segment.objects.filter(job_id=job.pk).order_by("index"))
    heard = " ".join(s.source_text for s in lines)
    assert wer(" ".join(text for _, text in SCRIPT), heard) <= 0.2, heard

    # the man (Piper joe) and the woman (a female palette voice) keep voices of their own kind in pass 1
    manifest = json.loads(Workspace(job.pk).ensure_local(job.outputs["tts_manifest"]).read_text())["speakers"]
    assert len(manifest) == 2
    first_line = lines[0]  # spoken by A, the man
    voices = {label: info["voice"] for label, info in manifest.items()}
    assert voices[first_line.diar_label].startswith("piper:"), voices
    other = next(label for label in voices if label != first_line.diar_label)
    assert ":g=f" in voices[other] and voices[other] != voices[first_line.diar_label], voices

    # episode 2: the same two characters recognised by voice, spoken with the same voices
    job2 = Job.objects.get(episode__season__series__slug="demo", episode__number=2)
    assert job2.state == JobState.SUCCEEDED, job2.error
    speakers = {s.label: s for s in EpisodeSpeaker.objects.filter(job_id=job2.pk)}
    first = {s.label: s for s in EpisodeSpeaker.objects.filter(job_id=job.pk)}
    print(voices, {k: (s.character_id, s.provider, s.similarity) for k, s in speakers.items()})
    assert {s.provider for s in speakers.values()} == {"auto"}
    assert {s.character_id for s in speakers.values()} == {s.character_id for s in first.values()}
    manifest2 = json.loads(Workspace(job2.pk).ensure_local(job2.outputs["tts_manifest"]).read_text())["speakers"]
    by_character = {first[label].character_id: voice for label, voice in voices.items()}
    for label, info in manifest2.items():
        assert info["source"] == "saved" and info["voice"] == by_character[speakers[label].character_id]

    again = demo("--submit")  # idempotent: nothing new, no password printed twice
    assert "created user" not in again and "submitted" not in again
    assert again.count(" exists") == len(ROLES) + 4  # each user, the two episodes, their jobs
    assert Job.objects.filter(episode=job.episode).count() == 1
    assert get_user_model().objects.filter(username__startswith="demo_").count() == len(ROLES)
