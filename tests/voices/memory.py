"""A series with voice memory in it: two seasons, characters with lines, episode speakers,
encrypted series refs and embedding snapshots (means rebuilt from them), without running a job."""
from __future__ import annotations

import itertools

import numpy as np
from django.forms.models import model_to_dict

from media.audio import save
from media.embeddings import Embedding
from jobs.artifacts import Workspace
from jobs.models import Job, JobState, Pass, PassState, StageRun, StageState
from review.models import Segment
from series.models import Character, Episode, Season
from series.services import character_create
from voices.models import CharacterEmbedding, EmbeddingSnapshot, EpisodeSpeaker, VoiceRef
from voices.jobrefs import store_job_ref
from voices.services import voice_ref_store
from voices.vectors import add_snapshot, unseal

_jobs = itertools.count(9000)
MODEL = "test-ecapa"


def tone_wav(path, seconds=3.0, rate=22050, hz=140.0):
    t = np.arange(int(seconds * rate)) / rate
    return save(path, (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32), rate)


def episode(series, season: int, number: int) -> Episode:
    season_row, _ = Season.objects.get_or_create(series=series, number=season)
    return Episode.objects.create(season=season_row, number=number, source_video=f"episodes/x/s{season}e{number}.mp4")


def vector(seed: int, dim: int = 8) -> Embedding:
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return Embedding(v / np.linalg.norm(v), MODEL, dim)


def speak(character: Character, ep: Episode, *, label: str, lines: int, tmp_path=None, ref: bool = False,
          seed: int = 0) -> int:
    """One job's worth of a character in an episode: a speaker row, lines, a snapshot, maybe a ref."""
    job_id = next(_jobs)
    EpisodeSpeaker.objects.create(episode=ep, job_id=job_id, label=label, character=character, provider="auto",
                                  similarity=0.8, margin=0.2, model_id=MODEL, seconds=lines * 2.0)
    for i in range(lines):
        Segment.objects.create(episode=ep, job_id=job_id, index=i, start=i * 3.0, end=i * 3.0 + 2.0, diar_label=label,
                               character=character, source_text=f"line {i}", target_text=f"ligne {i}")
    add_snapshot(character_id=character.pk, episode_id=ep.pk, job_id=job_id, label=label, embedding=vector(seed),
                 seconds=lines * 2.0)
    if ref:
        voice_ref_store(actor=None, character=character, wav=tone_wav(tmp_path / f"ref{job_id}.wav"), source="job",
                        job_id=job_id)
    return job_id


def populated(series, tmp_path) -> tuple[Character, Character, Character]:
    """A (2 episodes, a ref), B (the same person found again in season 2, a ref) and C (someone else)."""
    a = character_create(actor=None, series=series, display_name="Anna")
    b = character_create(actor=None, series=series, display_name="Anna (S2)")
    c = character_create(actor=None, series=series, display_name="Carl")
    e1, e2, e3 = episode(series, 1, 1), episode(series, 1, 2), episode(series, 2, 1)
    speak(a, e1, label="S1", lines=3, tmp_path=tmp_path, ref=True, seed=1)
    speak(a, e2, label="S1", lines=2, seed=2)
    speak(b, e3, label="S2", lines=4, tmp_path=tmp_path, ref=True, seed=3)
    speak(b, e2, label="S3", lines=1, seed=4)
    speak(c, e3, label="S1", lines=2, seed=5)
    return a, b, c


def state(series) -> dict:
    """Every row of voice memory, in full. Mean rows are compared by what they hold (their vector in
    plaintext, count, model): a Fernet token differs on every encryption, and a restored row is new."""
    chars = Character.objects.filter(series=series)
    ids = list(chars.values_list("pk", flat=True))

    def rows(qs):
        return sorted((model_to_dict(r) | {"pk": r.pk} for r in qs), key=lambda d: d["pk"])

    return {
        "characters": rows(chars),
        "segments": rows(Segment.objects.filter(character_id__in=ids)),
        "speakers": rows(EpisodeSpeaker.objects.filter(episode__season__series=series)),
        "refs": rows(VoiceRef.objects.filter(character_id__in=ids)),
        "snapshots": sorted(((s.pk, s.character_id, s.episode_id, s.job_id, s.label, s.model_id, s.dim,
                              bytes(s.blob), s.seconds) for s in EmbeddingSnapshot.objects.filter(character_id__in=ids))),
        "means": sorted((m.character_id, m.model_id, m.dim, m.count, unseal(m.blob, m.dim).tobytes())
                        for m in CharacterEmbedding.objects.filter(character_id__in=ids)),
    }


def job_with_ref(series, label="S1", *, season=3):
    """A finished job whose refs stage kept an encrypted clone ref of `label`; its work folder is gone."""
    ep = episode(series, season, 1)
    job = Job.objects.create(episode=ep, state=JobState.SUCCEEDED)
    pass_row = Pass.objects.create(job=job, number=1, state=PassState.SUCCEEDED)
    rel = f"analysis/voice_refs/{label}.clone.wav"
    workspace = Workspace(job.pk)
    tone_wav(workspace.path(rel), seconds=4.0, hz=180.0)
    plain = workspace.path(rel).read_bytes()
    store_job_ref(workspace, rel)
    workspace.remove()
    StageRun.objects.create(job=job, pass_obj=pass_row, name="refs", state=StageState.SUCCEEDED, fingerprint="x",
                            outputs={"_key": "refs", "speakers": {label: {"path": None, "clone_path": rel}}})
    return job, ep, plain
