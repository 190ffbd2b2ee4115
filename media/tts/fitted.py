"""One line spoken and fitted to its slot exactly as the tts stage fits a pass's lines: synthesize,
slow a clearly short clip toward the slot (settle), then speed a long one up to the cap, borrowing
from the gap after it (media.timing). Used to regenerate a single line as a take, and by
a resynth pass for each line it speaks again."""
from __future__ import annotations

import io
from dataclasses import dataclass, field, replace

import numpy as np
import soundfile as sf

from ..timing import DEFAULT_CAP, FitResult, fit_clip, settle_clip
from .base import TtsRequest, TtsResult
from .chain import synthesize

__all__ = ["FittedLine", "NATIVE_RATE_ENGINES", "remaining_cap", "speak_within", "synthesize_fitted", "wav_bytes"]

# Engines whose own faster speaking rate is understood better than a pitch-preserving stretch of
# their normal rate (round trip through tiny.en, README "Dub intelligibility"): flite's duration
# stretch halved its voices' WER at 1.3x (0.11 -> 0.06). Piper is left to the stretch (stretched,
# it loses no words up to 1.35x, and its length scale keeps pauses long), and so is espeak-ng,
# whose faster words per minute measured no better (f1 worse).
NATIVE_RATE_ENGINES = ("flite",)


@dataclass
class FittedLine:
    samples: np.ndarray
    sample_rate: int
    provider: str
    voice_id: str
    raw_seconds: float  # as the engine spoke it at its normal rate (after edge trimming), before any speed-up
    fit: FitResult
    clone_attempted: bool = False
    clone_succeeded: bool = False
    fallback_reasons: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)

    @property
    def speed(self) -> float:
        """The overall time-stretch: > 1 sped up to fit, < 1 slowed toward a long slot, 1 untouched."""
        return self.raw_seconds / self.duration if self.duration else 1.0


def remaining_cap(cap: float, result: TtsResult) -> float:
    """The stretch still allowed after the engine spoke `native_speed` times faster: the whole
    speed-up stays within `cap`."""
    return max(cap / result.native_speed, 1.0)


def speak_within(request: TtsRequest, slot: float | None, *, cap: float = DEFAULT_CAP, engines=None) -> TtsResult:
    """Synthesize a line; when it is too long for its slot and its engine speaks faster cleanly
    (NATIVE_RATE_ENGINES), speak it again at the rate the slot needs (at most `cap`), so the
    stretch that fits it afterwards has little or nothing left to do. `native_speed` says how much
    faster it was spoken."""
    result = synthesize(request, engines=engines)
    if (not slot or slot <= 0 or result.provider not in NATIVE_RATE_ENGINES or request.speed != 1.0
            or result.duration <= slot * 1.01):
        return result
    factor = min(result.duration / slot, cap)
    faster = synthesize(replace(request, speed=factor), engines=engines)
    if faster.provider != result.provider or faster.duration >= result.duration:
        return result  # another engine answered, or nothing gained: keep the line as first spoken
    faster.native_speed = result.duration / faster.duration
    return faster


def synthesize_fitted(request: TtsRequest, *, slot: float, gap_after: float = 0.0, cap: float = DEFAULT_CAP,
                      engines=None, index: int = 0, alone: float | None = None) -> FittedLine:
    """`alone`: the part of the slot before another line starts (timing.time_alone), the most a short
    line is slowed toward; the whole slot when not given."""
    result = speak_within(request, slot, cap=cap, engines=engines)
    settled = settle_clip(result.samples, result.sample_rate, slot if alone is None else alone)
    samples, fit = fit_clip(settled, result.sample_rate, slot, gap_after, cap=remaining_cap(cap, result), index=index)
    return FittedLine(samples=samples, sample_rate=result.sample_rate, provider=result.provider,
                      voice_id=result.voice_id, raw_seconds=result.duration * result.native_speed, fit=fit,
                      clone_attempted=result.clone_attempted, clone_succeeded=result.clone_succeeded,
                      fallback_reasons=list(result.fallback_reasons))


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV in memory (what browsers play and what a take keeps in storage)."""
    buffer = io.BytesIO()
    sf.write(buffer, np.asarray(samples, dtype=np.float32), sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
