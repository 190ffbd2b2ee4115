"""A job with review lines, written straight to the rows (the pipeline is not under test here)."""
from __future__ import annotations

from django.test import Client

from jobs.models import Job, JobState, Pass
from review.models import Segment, SegmentRevision
from series.models import Character
from tests.factories import make_episode, make_user

TEXTS = [("Hello there.", "Hallo zusammen."), ("How are you?", "Wie geht es dir?"), ("Fine.", "Gut.")]


def make_job_lines(tmp_path, texts=TEXTS) -> tuple[Job, list[Segment]]:
    """Lines 0.0-1.5, 2.0-3.5, … with a character and the pipeline's first revision, as segments_from_pipeline writes."""
    episode = make_episode(tmp_path)
    job = Job.objects.create(episode=episode, state=JobState.SUCCEEDED)
    Pass.objects.create(job=job, number=1)
    character = Character.objects.create(series=episode.season.series, code="CHAR_0001", display_name="Anna")
    lines = []
    for index, (source, target) in enumerate(texts):
        seg = Segment.objects.create(episode=episode, job_id=job.pk, index=index, start=2.0 * index,
                                     end=2.0 * index + 1.5, diar_label="S1", character=character,
                                     source_text=source, target_text=target)
        SegmentRevision.objects.create(segment=seg, version=1, source_text=source, target_text=target,
                                       note="generated")
        lines.append(seg)
    return job, lines


def client_for(role: str | None) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(make_user(role))
    return client
