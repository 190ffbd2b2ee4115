"""One line spoken and fitted to its slot exactly as the tts stage fits a pass's lines: synthesize,
slow a clearly short clip toward the slot (settle), then speed a long one up to the cap, borrowing
from the gap after it (media.timing). Used to regenerate a single line as a take, and by
a resynth pass for each line it speaks again."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import soundfile as sf

from ..timing import DEFAULT_CAP, FitResult, fit_clip, settle_clip
from .base import TtsRequest
from .chain import synthesize

__all__ = ["FittedLine", "synthesize_fitted", "wav_bytes"]


@dataclass
class FittedLine:
    samples: np.ndarray
    sample_rate: int
    provider: str
    voice_id: str
    raw_seconds: float  # as the engine spoke it (after edge trimming), before any stretch
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


def synthesize_fitted(request: TtsRequest, *, slot: float, gap_after: float = 0.0, cap: float = DEFAULT_CAP,
                      engines=None, index: int = 0) -> FittedLine:
    result = synthesize(request, engines=engines)
    settled = settle_clip(result.samples, result.sample_rate, slot)
    samples, fit = fit_clip(settled, result.sample_rate, slot, gap_after, cap=cap, index=index)
    return FittedLine(samples=samples, sample_rate=result.sample_rate, provider=result.provider,
                      voice_id=result.voice_id, raw_seconds=result.duration, fit=fit,
                      clone_attempted=result.clone_attempted, clone_succeeded=result.clone_succeeded,
                      fallback_reasons=list(result.fallback_reasons))


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM WAV in memory (what browsers play and what a take keeps in storage)."""
    buffer = io.BytesIO()
    sf.write(buffer, np.asarray(samples, dtype=np.float32), sample_rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
