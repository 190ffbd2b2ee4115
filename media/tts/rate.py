"""How long a voice takes to say a text, without saying it: a per-voice linear model of spoken
seconds over the text's letters, its inner pauses (, ; :) and its sentences, fitted once per voice
on calibration sentences the voice really speaks (least squares). Piper's durations vary a\nlittle from run to run (its duration predictor samples noise), so one-word lines are within ±0.2 s.

Measured on the bundled Piper voice (tests/bench/bench_takes.py): 20 held-out sentences of 1 to
15 words are estimated within about 6 % on average (at most 17 %) (letters alone: about 11 %).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Callable, Sequence

import numpy as np

from .base import TtsRequest, VoiceSpec

__all__ = ["CALIBRATION", "SpeakingRate", "features", "calibrate", "fit_rate"]

# Short and long, questions and exclamations, inner pauses: what dialogue lines look like.
CALIBRATION = (
    "The weather is lovely today, so we will walk down to the old harbour.",
    "Yes.",
    "Please bring the blue folder to the meeting at nine o'clock tomorrow.",
    "I don't know what you mean.",
    "Nobody expected the train to arrive so early on a Sunday morning. It was strange.",
    "Wait! Where are you going?",
    "We should have asked the captain before we opened the last crate.",
    "Thank you very much.",
    "If you listen carefully, you can hear the sea from the top of the hill.",
    "No, never again.",
    "Hi.",
    "Come on!",
)

_LETTER = re.compile(r"[^\W_]")
_PAUSE = re.compile(r"[,;:\u2014\u2013]")
_SENTENCE = re.compile(r"[.!?\u2026]+")


def features(text: str) -> tuple[float, float, float]:
    """(letters and digits, inner pauses, sentences ≥ 1)."""
    return (float(len(_LETTER.findall(text))), float(len(_PAUSE.findall(text))),
            float(max(len(_SENTENCE.findall(text.strip())), 1)))


@dataclass(frozen=True)
class SpeakingRate:
    per_letter: float
    per_pause: float
    per_sentence: float
    base: float
    samples: int  # sentences the fit saw

    def seconds(self, text: str) -> float:
        if not text.strip():
            return 0.0
        letters, pauses, sentences = features(text)
        estimate = self.per_letter * letters + self.per_pause * pauses + self.per_sentence * sentences + self.base
        return max(estimate, 0.5 * self.per_letter * letters, 0.05)

    def as_dict(self) -> dict:
        return asdict(self)


def fit_rate(texts: Sequence[str], seconds: Sequence[float]) -> SpeakingRate:
    """Least squares over the features. With fewer than 4 observations (a cloned voice's own takes) only
    a scale of a letters-only rate is fitted, which two or three lines can pin down."""
    x = np.array([features(t) for t in texts], dtype=float)
    y = np.asarray(seconds, dtype=float)
    if len(texts) >= 4:
        coef, *_ = np.linalg.lstsq(np.c_[x, np.ones(len(x))], y, rcond=None)
        return SpeakingRate(*(float(c) for c in coef), samples=len(texts))
    per_letter = float(y.sum() / max(x[:, 0].sum(), 1.0))
    return SpeakingRate(per_letter, 0.0, 0.0, 0.0, samples=len(texts))


def calibrate(voice: VoiceSpec | None, language: str, speak: Callable[[TtsRequest], float],
              texts: Sequence[str] = CALIBRATION) -> SpeakingRate:
    """Fit the voice's rate from `speak(request) -> seconds` over the calibration sentences."""
    return fit_rate(texts, [speak(TtsRequest(t, language, voice=voice)) for t in texts])
