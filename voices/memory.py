"""Voice memory: an episode's diarization labels → the series' characters, across episodes.

For each label: a person's assignment wins; else the matching (voices.matching) against the
characters' mean voices in the same embedding model; else a new character. Confident matches,
assignments and new characters add this episode's embedding to the character's voice; flagged
(close-call) matches do not. A rerun of the same job first takes back what the job taught,
then decides again, and reuses the characters it created before (no duplicates).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db import transaction

from dubsite import audit
from media.embeddings import Embedding, cosine
from series.models import Character
from series.services import character_create

from .matching import Decision, match, thresholds_for
from .models import EmbeddingSnapshot, EpisodeSpeaker
from .services import refs_allowed
from .vectors import add_snapshot, character_embeddings, rebuild_mean

__all__ = ["LabelVoice", "MIN_SECONDS", "assignments", "memory_state", "identify_speakers", "remember_voices"]

# Less clean speech than this carries too little of a voice to recognise anyone reliably.
MIN_SECONDS = 1.0


@dataclass
class LabelVoice:
    label: str
    embedding: Embedding | None
    seconds: float  # speech the embedding was made from
    talk: float = 0.0  # all of the label's speaking time in the episode
    note: str = ""  # why there is no embedding, or that the clip has overlap
    overlapped: bool = False  # made from speech with another voice over it: never teaches memory


def assignments(job_id: int) -> dict[str, int]:
    """People's assignments of this job's labels (part of the identify stage's fingerprint)."""
    rows = EpisodeSpeaker.objects.filter(job_id=job_id, provider=EpisodeSpeaker.Provider.ASSIGNED,
                                         character__isnull=False)
    return dict(rows.values_list("label", "character_id"))


def memory_state(series) -> tuple[bool, str]:
    """May this series remember voices now? (False, why) when not: the same rule as for refs."""
    return refs_allowed(series)


def _forget_job(job_id: int) -> None:
    """A rerun decides again: this job's earlier snapshots leave their characters' means."""
    touched = set(EmbeddingSnapshot.objects.filter(job_id=job_id).values_list("character_id", flat=True))
    EmbeddingSnapshot.objects.filter(job_id=job_id).delete()
    for character_id in touched:
        rebuild_mean(character_id)


def _decide(series, voices: list[LabelVoice], taken: set[int], model_id: str) -> tuple[dict[str, Decision], dict]:
    known = list(Character.objects.filter(series=series, merged_into__isnull=True).exclude(pk__in=taken)
                 .values_list("pk", flat=True))
    means = character_embeddings(known, model_id)
    characters = list(means)
    usable = [v for v in voices if v.embedding is not None]
    sims = np.array([[cosine(v.embedding, means[c][0]) for c in characters] for v in usable]).reshape(len(usable),
                                                                                                   len(characters))
    thresholds = thresholds_for(model_id, series.voice_threshold)
    decisions = {d.label: d for d in match([v.label for v in usable], characters, sims, thresholds)}
    report = {"model": model_id, "threshold": thresholds.accept, "margin": thresholds.margin,
              "characters": characters, "labels": [v.label for v in usable],
              "similarities": [[round(float(x), 4) for x in row] for row in sims]}
    return decisions, report


def identify_speakers(*, series, episode, job_id: int, voices: list[LabelVoice], model_id: str | None,
                      no_engine: str = "") -> tuple[dict[str, dict], dict]:
    """Decide and record every label's character. Returns ({label: decision}, matching report)."""
    remember, why_not = memory_state(series)
    with transaction.atomic():
        prior = {r.label: r for r in EpisodeSpeaker.objects.select_for_update(of=("self",)).filter(job_id=job_id)
                 .select_related("character", "character__merged_into")}
        _forget_job(job_id)
        assigned = {label: row.character.canonical() for label, row in prior.items()
                    if row.provider == EpisodeSpeaker.Provider.ASSIGNED and row.character_id}
        assigned = {label: c for label, c in assigned.items() if label in {v.label for v in voices}}
        decisions, report = {}, {"model": model_id, "remember": remember, "why_not": why_not or no_engine}
        auto = [v for v in voices if v.label not in assigned]
        if remember and model_id:
            decisions, report = _decide(series, auto, {c.pk for c in assigned.values()}, model_id)
            report.update(remember=True)
        used = {c.pk for c in assigned.values()} | {d.character for d in decisions.values() if d.character}
        mapping = {}
        for voice in voices:
            mapping[voice.label] = _settle(series, episode, job_id, voice, assigned.get(voice.label),
                                           decisions.get(voice.label), prior.get(voice.label), used, remember,
                                           why_not, no_engine, model_id)
        EpisodeSpeaker.objects.filter(job_id=job_id).exclude(label__in=[v.label for v in voices]).delete()
        audit.record(None, "speakers.identify", None, target_type="jobs.job", target_id=str(job_id),
                     new={label: {k: v for k, v in d.items() if k in ("code", "provider", "similarity", "flagged")}
                          for label, d in mapping.items()})
    return mapping, report


def _settle(series, episode, job_id, voice: LabelVoice, assigned: Character | None, decision: Decision | None,
            prior: EpisodeSpeaker | None, used: set[int], remember: bool, why_not: str, no_engine: str,
            model_id: str | None) -> dict:
    """One label's character and row; teaches the character's voice when the decision is sure."""
    similarity = margin = None
    flagged, reason, teach = False, "", False
    if assigned is not None:
        character, provider, teach = assigned, EpisodeSpeaker.Provider.ASSIGNED, True
    elif decision is not None and decision.character is not None:
        character = Character.objects.get(pk=decision.character)
        provider, similarity, margin = EpisodeSpeaker.Provider.AUTO, decision.similarity, decision.margin
        flagged, reason, teach = not decision.confident, decision.reason, decision.confident
    else:
        reuse = prior.character.canonical() if prior is not None and prior.character_id else None
        if reuse is not None and (reuse.pk in used or reuse.series_id != series.pk):
            reuse = None
        character = reuse or character_create(actor=None, series=series, display_name="")
        used.add(character.pk)
        provider, teach = EpisodeSpeaker.Provider.NEW, True
        if decision is not None:
            similarity, reason = decision.similarity, decision.reason
        if voice.embedding is None:
            flagged, reason = True, voice.note or no_engine or "no voice embedding"
        elif not remember:
            reason = why_not
    if voice.overlapped and voice.embedding is not None:
        flagged, teach = True, False
        reason = "; ".join(r for r in (reason, voice.note) if r)
    if teach and remember and voice.embedding is not None:
        add_snapshot(character_id=character.pk, episode_id=episode.pk, job_id=job_id, label=voice.label,
                     embedding=voice.embedding, seconds=voice.seconds)
    keep = prior if prior is not None and prior.provider == EpisodeSpeaker.Provider.ASSIGNED else None
    EpisodeSpeaker.objects.update_or_create(job_id=job_id, label=voice.label, defaults={
        "episode": episode, "character": character, "provider": provider, "similarity": similarity,
        "margin": margin, "model_id": model_id or "", "seconds": round(voice.talk, 3), "flagged": flagged,
        "reason": reason[:300], "assigned_by": keep.assigned_by if keep else None,
        "assigned_at": keep.assigned_at if keep else None})
    return {"character_id": character.pk, "code": character.code, "provider": provider, "similarity": similarity,
            "margin": margin, "flagged": flagged, "reason": reason, "seconds": voice.seconds}


def remember_voices(*, series, voices: dict[int, str], job_id: int) -> list[str]:
    """After a first pass: characters without a saved voice keep the one they were given, so
    the next episode speaks them the same way. Nothing is saved without voice memory."""
    if not memory_state(series)[0]:
        return []
    saved = []
    with transaction.atomic():
        for character in Character.objects.select_for_update().filter(pk__in=list(voices), series=series):
            if (character.voice_settings or {}).get("voice"):
                continue
            old = dict(character.voice_settings or {})
            character.voice_settings = {**old, "voice": voices[character.pk], "voice_from_job": job_id}
            character.save(update_fields=["voice_settings"])
            audit.record(None, "character.remember_voice", character, old=old, new=character.voice_settings)
            saved.append(f"{character.code} → {voices[character.pk]}")
    return saved
