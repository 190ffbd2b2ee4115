"""Pick, among the voices this machine has, the one that sounds closest to a speaker's ref.

Used by pass 2 when no cloning engine is available: every preset voice (Piper voices, espeak
variants, XTTS presets) speaks a probe sentence, plus a copy pitch-shifted toward the speaker's
median F0; the candidate whose speaker embedding is nearest the ref's wins.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from scipy.optimize import linear_sum_assignment

from . import probe_cache
from .cache import models
from .embeddings import Embedding, cosine, registry as embedding_registry
from .prosody import median_f0, semitones_between
from .tts import TtsRequest, VoiceSpec, list_voices, shift_pitch, shift_voice, synthesize

__all__ = ["VoiceMatch", "match_voice", "match_voices", "probe_embedding", "PROBE_TEXT"]

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


def _figures(voice: VoiceSpec, language: str, embedder, *, shifted_from: VoiceSpec | None = None,
             by: float = 0.0) -> tuple[Embedding, float | None]:
    """(embedding, median F0) of the probe sentence in `voice`: from memory, else from the disk
    cache (media.probe_cache), else spoken and embedded once. `shifted_from`: `voice` is that
    base voice's probe pitch-shifted by `by` semitones (how a match candidate sounds; a voice
    with its own formant shift keeps its formants), not the engine speaking with the shift."""
    how = f"shift:{shifted_from.key}:{by:g}" if shifted_from is not None else "engine"

    def make():
        key = dict(voice_key=voice.key, engine=voice.engine, language=language, embedder=embedder.name,
                   model_id=embedder.model_id, text=PROBE_TEXT, how=how)
        hit = probe_cache.load(**key)
        if hit is not None:
            return hit[0], (hit[1] or None)
        if shifted_from is None:
            samples, rate = _probe(voice, language)  # the engines apply the voice's pitch shift themselves
        else:
            samples, rate = _probe(shifted_from, language)
            samples = (shift_pitch(samples, rate, by) if shifted_from.formant_semitones is None
                       else shift_voice(samples, rate, by, 0.0))
        emb, f0 = embedder.embed(samples, rate), median_f0(samples, rate)
        probe_cache.store(emb, f0 or 0.0, **key)
        return emb, f0

    return models.get(f"voice-fig:{how}:{embedder.name}:{language}:{voice.key}", make,
                      size=lambda v: v[0].vector.nbytes)


def probe_embedding(voice: VoiceSpec, language: str, embedder) -> np.ndarray:
    """The unit embedding of the probe sentence spoken in `voice` (cached in memory and on disk):
    a voice's fixed reference, the same in every episode."""
    return _figures(voice, language, embedder)[0].vector


def _scores(ref: np.ndarray, sample_rate: int, embedder, language: str, base: Sequence[VoiceSpec]):
    """(similarity, candidate, base voice identity) for every preset voice and its copy shifted
    toward the ref's pitch."""
    ref_emb: Embedding = embedder.embed(ref, sample_rate)
    ref_f0 = median_f0(ref, sample_rate)
    scored: list[tuple[float, VoiceSpec, str]] = []
    for voice in base:
        emb, f0 = _figures(voice, language, embedder)
        scored.append((cosine(ref_emb, emb), voice, _identity(voice)))
        shift = round(float(np.clip(semitones_between(f0, ref_f0), -MAX_SHIFT, MAX_SHIFT)), 1)
        if abs(shift) >= 1.0:
            if voice.formant_semitones is None:
                spec = voice.with_(pitch_semitones=shift)
            else:  # keep the voice's formants; only its pitch moves toward the ref
                spec = voice.with_(pitch_semitones=round(voice.pitch_semitones + shift, 1))
            emb = _figures(spec, language, embedder, shifted_from=voice, by=shift)[0]
            scored.append((cosine(ref_emb, emb), spec, _identity(voice)))
    if not scored:
        raise ValueError("no preset voices to match against")
    scored.sort(key=lambda s: -s[0])
    return scored, ref_emb.model_id


def _identity(spec: VoiceSpec) -> str:
    """Which voice this is, whatever its pitch variant or gender tag: the base voice's key."""
    plain = spec.with_(gender="", label="")
    return (plain if plain.formant_semitones is not None else plain.with_(pitch_semitones=0.0)).key


def _taken_identity(key: str) -> str:
    try:
        return _identity(VoiceSpec.parse(key))
    except ValueError:
        return key


def match_voice(ref: np.ndarray, sample_rate: int, *, language: str = "en",
                candidates: Sequence[VoiceSpec] | None = None, engine: str | None = None) -> VoiceMatch:
    return match_voices({"ref": (ref, sample_rate)}, language=language, candidates=candidates, engine=engine)["ref"]


def match_voices(refs: dict[str, tuple[np.ndarray, int]], *, language: str = "en",
                 candidates: Sequence[VoiceSpec] | None = None, engine: str | None = None,
                 taken: Sequence[str] = ()) -> dict[str, VoiceMatch]:
    """The nearest preset voice for each speaker, with distinct speakers on distinct voices: a
    one-to-one matching (Hungarian, maximum total similarity) over base voices, since two
    characters matched independently can both land on the same nearest voice. `taken`: keys of
    voices already speaking for other characters of the episode (any pitch variant of a voice
    takes the voice). A voice is shared only
    when there are more speakers than voices."""
    embedder = embedding_registry().select([engine] if engine else None).engine
    # a formant-shifted voice is a voice of its own; a pitch-only shift is a variant of its base
    base = [v for v in (candidates or list_voices(language)) if not v.pitch_semitones or v.formant_semitones is not None]
    per: dict[str, tuple[list[tuple[float, VoiceSpec, str]], str]] = {
        label: _scores(samples, rate, embedder, language, base) for label, (samples, rate) in refs.items()}
    labels = list(per)
    taken_ids = {_taken_identity(k) for k in taken}
    free = [v for v in base if _identity(v) not in taken_ids] or base
    if len(labels) > len(free):
        free = base  # more speakers than voices: sharing cannot be avoided
    keys = [_identity(v) for v in free]
    best: dict[str, dict[str, tuple[float, VoiceSpec]]] = {label: {} for label in labels}
    for label in labels:
        for sim, spec, identity in per[label][0]:  # best first: the first seen per base voice is its best variant
            best[label].setdefault(identity, (sim, spec))
    gain = np.array([[best[label].get(k, (-1.0, None))[0] for k in keys] for label in labels], dtype=float)
    rounds: dict[str, int] = {}
    remaining = list(range(len(labels)))
    while remaining:  # more speakers than voices: match again over those left
        rows, cols = linear_sum_assignment(-gain[remaining])
        for r, c in zip(rows, cols):
            rounds[labels[remaining[r]]] = c
        remaining = [i for i in remaining if labels[i] not in rounds]
    out = {}
    for label in labels:
        sim, spec = best[label][keys[rounds[label]]]
        scored, model_id = per[label]
        out[label] = VoiceMatch(spec, round(float(sim), 4), model_id,
                                [(s.key, round(float(v), 4)) for v, s, _ in scored[:10]])
    return out
