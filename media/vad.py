"""Voice activity detection: silero-vad (bundled weights) with an energy gate as fallback.

`detect(path_or_array, sample_rate) -> list[Region]`; plus small region algebra
(`total`, `intersection`, `speech_ratio`, `coverage`, `iou`) used by QC and metrics.
`load_mono_16k` is the one input gate the analysis engines share (VAD, embeddings,
diarization): 16 kHz mono float32, with clear errors for empty/corrupt/too many channels.
"""
from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, Union

import numpy as np

from . import audio as media_audio
from .cache import models as model_cache
from .engine import Registry
from .errors import EngineFailed, InvalidMediaError, MediaError
from .threads import torch_threads

__all__ = [
    "Region", "SileroVad", "EnergyVad", "registry", "detect", "load_mono_16k",
    "total", "intersection", "speech_ratio", "coverage", "iou", "merge_regions",
]

SAMPLE_RATE = 16000
Source = Union[str, Path, np.ndarray]
THREADS_ENV = "MEDIA_VAD_THREADS"  # torch threads for silero (media.threads: one by default)


@dataclass(frozen=True)
class Region:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def load_mono_16k(source: Source, sample_rate: int | None = None) -> np.ndarray:
    """16 kHz mono float32 from a path or an array ((samples,) or (samples, channels)).

    More than two channels is refused: a plain mean of 5.1/7.1 (with LFE) buries dialogue;
    `media.ffmpeg.extract_analysis` downmixes properly."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            clip = media_audio.load(path)
        except InvalidMediaError:
            clip = _decode_with_ffmpeg(path)  # containers soundfile cannot read (mp4, mkv, m4a)
        samples, rate = clip.samples, clip.sample_rate
        name = path.name
    else:
        if not sample_rate:
            raise MediaError("sample_rate is required with an array input")
        samples, rate, name = np.asarray(source, dtype=np.float32), int(sample_rate), "array"
    if samples.size == 0:
        raise InvalidMediaError(f"{name}: audio is empty")
    if samples.ndim == 2 and samples.shape[1] > 2:
        raise InvalidMediaError(
            f"{name}: {samples.shape[1]} channels; extract a mono analysis track first (ffmpeg -ac 1)")
    if samples.ndim > 2:
        raise InvalidMediaError(f"{name}: expected (samples,) or (samples, channels), got shape {samples.shape}")
    if not np.all(np.isfinite(samples)):
        raise InvalidMediaError(f"{name}: audio contains NaN or infinite samples")
    mono = media_audio.to_mono(samples)
    return np.ascontiguousarray(media_audio.resample(mono, rate, SAMPLE_RATE), dtype=np.float32)


def _decode_with_ffmpeg(path: Path) -> media_audio.Audio:
    from . import ffmpeg

    if not ffmpeg.availability()[0]:
        raise InvalidMediaError(f"{path.name}: cannot read audio (and ffmpeg is not available)")
    with tempfile.TemporaryDirectory(prefix="vad-") as tmp:
        wav = ffmpeg.extract_analysis(path, Path(tmp) / "analysis.wav")  # raises InvalidMediaError
        return media_audio.load(wav)


# ---------------------------------------------------------------- region algebra

def merge_regions(regions: Sequence[Region], *, gap: float = 0.0) -> list[Region]:
    """Sort and merge regions that overlap or are closer than `gap` seconds."""
    out: list[Region] = []
    for r in sorted(regions, key=lambda r: r.start):
        if out and r.start <= out[-1].end + gap:
            out[-1] = Region(out[-1].start, max(out[-1].end, r.end))
        else:
            out.append(Region(r.start, r.end))
    return out


def total(regions: Sequence[Region]) -> float:
    return sum(r.duration for r in merge_regions(regions))


def intersection(a: Sequence[Region], b: Sequence[Region]) -> float:
    """Seconds during which both `a` and `b` have speech."""
    a, b = merge_regions(a), merge_regions(b)
    i = j = 0
    both = 0.0
    while i < len(a) and j < len(b):
        both += max(0.0, min(a[i].end, b[j].end) - max(a[i].start, b[j].start))
        if a[i].end < b[j].end:
            i += 1
        else:
            j += 1
    return both


def speech_ratio(regions: Sequence[Region], duration: float) -> float:
    """Share of `duration` that is speech (0 for an empty clip)."""
    return min(1.0, total(regions) / duration) if duration > 0 else 0.0


def coverage(reference: Sequence[Region], other: Sequence[Region]) -> float:
    """Share of the reference's speech during which `other` also speaks (1.0 when the
    reference has none): e.g. how much of the original dialogue the dub covers."""
    ref = total(reference)
    return intersection(reference, other) / ref if ref > 0 else 1.0


def iou(a: Sequence[Region], b: Sequence[Region]) -> float:
    both = intersection(a, b)
    union = total(a) + total(b) - both
    return both / union if union > 0 else 1.0


# ---------------------------------------------------------------- engines

class SileroVad:
    name = "silero"

    def __init__(self, threshold: float = 0.5, min_speech: float = 0.25, min_silence: float = 0.1,
                 pad: float = 0.03):
        self.threshold, self.min_speech, self.min_silence, self.pad = threshold, min_speech, min_silence, pad
        self._lock = threading.Lock()  # the model keeps recurrent state between windows

    def availability(self) -> tuple[bool, str]:
        try:
            import silero_vad  # noqa: F401
        except ImportError as exc:
            return False, f"silero-vad not installed ({exc})"
        return True, "bundled silero-vad weights"

    def detect(self, source: Source, sample_rate: int | None = None) -> list[Region]:
        import torch
        from silero_vad import get_speech_timestamps, load_silero_vad

        samples = load_mono_16k(source, sample_rate)
        if len(samples) < 512:  # shorter than one silero window: nothing to decide on
            return []
        model = model_cache.get("vad:silero", load_silero_vad)
        try:
            # one torch thread (MEDIA_VAD_THREADS): the model runs once per 32 ms window, and after
            # faster-whisper has run in the process two threads made the 342 s composite take 8-9 s
            # instead of 2 (the pipeline's translate stage); one thread takes 2 s either way
            with self._lock, torch.inference_mode(), torch_threads(THREADS_ENV):
                model.reset_states()
                stamps = get_speech_timestamps(
                    torch.from_numpy(samples), model, threshold=self.threshold, sampling_rate=SAMPLE_RATE,
                    min_speech_duration_ms=int(self.min_speech * 1000),
                    min_silence_duration_ms=int(self.min_silence * 1000),
                    speech_pad_ms=int(self.pad * 1000))
        except RuntimeError as exc:
            raise EngineFailed(f"silero-vad failed: {exc}") from exc
        return [Region(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


class EnergyVad:
    """Frame-energy gate relative to the clip's own noise floor and peak: crude but
    dependency-free, for when silero cannot run."""

    name = "energy"

    def __init__(self, frame: float = 0.03, min_speech: float = 0.25, min_silence: float = 0.2):
        self.frame, self.min_speech, self.min_silence = frame, min_speech, min_silence

    def availability(self) -> tuple[bool, str]:
        return True, "always available (energy gate)"

    def detect(self, source: Source, sample_rate: int | None = None) -> list[Region]:
        samples = load_mono_16k(source, sample_rate)
        hop = int(self.frame * SAMPLE_RATE)
        n = len(samples) // hop
        if n == 0:
            return []
        frames = samples[: n * hop].reshape(n, hop)
        db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
        peak, floor = np.percentile(db, 99), np.percentile(db, 10)
        if peak < -60:  # digital silence or near it
            return []
        threshold = max(floor + 10.0, peak - 35.0, -55.0)
        active = db > threshold
        regions = []
        start = None
        for i, on in enumerate(np.append(active, False)):
            if on and start is None:
                start = i
            elif not on and start is not None:
                regions.append(Region(start * self.frame, i * self.frame))
                start = None
        regions = merge_regions(regions, gap=self.min_silence)
        return [r for r in regions if r.duration >= self.min_speech]


def registry() -> Registry:
    return Registry("vad", [SileroVad(), EnergyVad()])


def detect(source: Source, sample_rate: int | None = None, *, engine: str | None = None) -> list[Region]:
    """Speech regions (seconds) by the first VAD engine that works (or by the named one only)."""
    reg = registry()
    if engine:
        reg = Registry(reg.stage, [reg.get(engine)])
    regions, _ = reg.run(lambda e: e.detect(source, sample_rate))
    return regions
