"""Pick, among the voices this machine has, the one that sounds closest to a speaker's ref.

Used by pass 2 when no cloning engine is available: every preset voice (Piper voices, espeak
variants, XTTS presets) speaks a probe sentence, plus a copy pitch-shifted toward the speaker's
median F0; the candidate whose speaker embedding is nearest the ref's wins.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .cache import models
from .embeddings import Embedding, cosine, registry as embedding_registry
from .prosody import median_f0, semitones_between
from .tts import TtsRequest, VoiceSpec, list_voices, shift_pitch, synthesize

__all__ = ["VoiceMatch", "match_voice", "PROBE_TEXT"]

PROBE_TEXT = "I told you we would find it here, so let us take a careful look around before it gets dark."
MAX_SHIFT = 6.0  # semitones: further than this sounds processed


@dataclass
class VoiceMatch:
    voice: VoiceSpec
    similarity: float
    model_id: str
    scores: list[tuple[str, float]] = field(default_factory=list)  # best first, for the manifest


def _probe(voice: VoiceSpec, language: str) -> tuple[np.ndarray, int]:
    def make():
        result = synthesize(TtsRequest(PROBE_TEXT, language, voice=voice), preference=[voice.engine])
        return result.samples, result.sample_rate

    return models.get(f"voice-probe:{language}:{voice.key}", make, size=lambda v: v[0].nbytes)


def match_voice(ref: np.ndarray, sample_rate: int, *, language: str = "en",
                candidates: Sequence[VoiceSpec] | None = None, engine: str | None = None) -> VoiceMatch:
    selection = embedding_registry().select([engine] if engine else None)
    embedder = selection.engine
    ref_emb: Embedding = embedder.embed(ref, sample_rate)
    ref_f0 = median_f0(ref, sample_rate)
    base = [v for v in (candidates or list_voices(language)) if not v.pitch_semitones]
    scored: list[tuple[float, VoiceSpec]] = []
    for voice in base:
        samples, rate = _probe(voice, language)
        variants = [(voice, samples)]
        shift = float(np.clip(semitones_between(median_f0(samples, rate), ref_f0), -MAX_SHIFT, MAX_SHIFT))
        if abs(shift) >= 1.0:
            variants.append((voice.with_(pitch_semitones=round(shift, 1)), shift_pitch(samples, rate, shift)))
        for spec, audio in variants:
            emb = models.get(f"voice-emb:{embedder.name}:{language}:{spec.key}", lambda a=audio: embedder.embed(a, rate),
                             size=lambda e: e.vector.nbytes)
            scored.append((cosine(ref_emb, emb), spec))
    if not scored:
        raise ValueError("no preset voices to match against")
    scored.sort(key=lambda s: -s[0])
    best_sim, best = scored[0]
    return VoiceMatch(best, round(float(best_sim), 4), ref_emb.model_id,
                      [(spec.key, round(float(sim), 4)) for sim, spec in scored[:10]])
