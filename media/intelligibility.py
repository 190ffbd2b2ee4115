"""How well a preset voice is understood: speak clean sentences, fit them to shorter slots exactly
as the tts stage does (media.timing.fit_clip), transcribe them again with tiny.en and score the
word error rate against the text. Also how alike the voices of a palette sound (speaker-embedding
cosine between their probe sentences, media.voice_match.probe_embedding).

Used by the eval (tests/media/test_intelligibility_eval.py) and the palette's tests; the figures
are in README "Dub intelligibility".
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Iterable, Sequence

import numpy as np

from .metrics import wer
from .timing import fit_clip
from .tts import TtsRequest, VoiceSpec, synthesize
from .tts.fitted import speak_within

__all__ = ["SENTENCES", "SPEEDS", "VoiceWer", "voice_wer", "similarity_matrix", "SimilaritySummary",
           "summarize_similarity", "transcribe_text"]

# Dialogue-like, with the short function words ASR drops first when speech is unclear; no numbers
# (whisper writes them as digits, which would count as errors of every voice).
SENTENCES = (
    "Please bring the blue folder to the meeting at noon tomorrow.",
    "I don't think we should open that door before the captain comes back.",
    "She said the train leaves from the north platform, so we have to hurry.",
    "Nobody told me the bridge was closed, or I would have taken the long way home.",
)
SPEEDS = (1.0, 1.15, 1.3, 1.45)


def transcribe_text(samples: np.ndarray, sample_rate: int) -> str:
    """tiny.en, without word timestamps (they move the decoding window and drop words, issue 11)."""
    from .asr import transcribe

    return transcribe(samples, sample_rate=sample_rate, language="en", word_timestamps=False).text


@dataclass
class VoiceWer:
    voice: str
    provider: str
    per_speed: dict[float, float]  # speed-up -> WER over all sentences (errors / reference words)
    # speed -> (reference, hypothesis) of the worst line
    worst: dict[float, tuple[str, str]] = field(default_factory=dict)

    def as_row(self) -> dict:
        return {"voice": self.voice, "provider": self.provider,
                **{f"{s:g}x": round(w, 3) for s, w in self.per_speed.items()}}


def voice_wer(voice: VoiceSpec, *, sentences: Sequence[str] = SENTENCES, speeds: Iterable[float] = SPEEDS,
              language: str = "en", native: bool | None = None) -> VoiceWer:
    """Round-trip WER of `voice` at each speed-up: each sentence is fitted into a slot `speed` times
    shorter than it takes at the voice's normal rate, as the tts stage fits a long line
    (media.tts.fitted.speak_within, then media.timing.fit_clip). `native=False` always stretches the
    normal-rate take (the stage before NATIVE_RATE_ENGINES); True always asks the engine for the rate."""
    speeds = tuple(speeds)
    errors = {s: 0.0 for s in speeds}
    worst: dict[float, tuple[float, str, str]] = {}
    words = 0
    provider = ""
    preference = [voice.engine] if voice.engine else None
    for text in sentences:
        request = TtsRequest(text, language, voice=voice)
        result = synthesize(request, preference=preference)
        provider = result.provider
        n = len(text.split())
        words += n
        for speed in speeds:
            slot = result.duration / speed
            spoken = result
            if speed > 1.0 and native is None:
                spoken = speak_within(request, slot, cap=max(speed, 1.0))
            elif speed > 1.0 and native:
                spoken = synthesize(replace(request, speed=speed), preference=preference)
            samples, _ = fit_clip(spoken.samples, spoken.sample_rate, slot, cap=max(speed / spoken.native_speed, 1.0))
            heard = transcribe_text(samples, result.sample_rate)
            rate = wer(text, heard)
            errors[speed] += rate * n
            if speed not in worst or rate > worst[speed][0]:
                worst[speed] = (rate, text, heard)
    return VoiceWer(voice.key, provider, {s: errors[s] / max(words, 1) for s in speeds},
                    {s: (t, h) for s, (_, t, h) in worst.items()})


def similarity_matrix(voices: Sequence[VoiceSpec], *, language: str = "en", engine: str | None = None
                      ) -> tuple[np.ndarray, str]:
    """Cosine similarity between the probe-sentence embeddings of every pair of voices, and the model."""
    from .embeddings import registry as embedding_registry
    from .voice_match import probe_embedding

    embedder = embedding_registry().select([engine] if engine else None).engine
    vectors = np.stack([probe_embedding(v, language, embedder) for v in voices])
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors @ vectors.T, embedder.name


@dataclass(frozen=True)
class SimilaritySummary:
    max: float
    mean: float
    closest: tuple[str, str]

    def __str__(self) -> str:
        return f"max {self.max:.3f} ({self.closest[0]} ~ {self.closest[1]}), mean {self.mean:.3f}"


def summarize_similarity(matrix: np.ndarray, keys: Sequence[str]) -> SimilaritySummary:
    """The most alike pair of different voices and the mean over all pairs."""
    pairs = [(float(matrix[i, j]), i, j) for i, j in combinations(range(len(keys)), 2)]
    if not pairs:
        return SimilaritySummary(0.0, 0.0, ("", ""))
    top, i, j = max(pairs)
    return SimilaritySummary(top, float(np.mean([p[0] for p in pairs])), (keys[i], keys[j]))
