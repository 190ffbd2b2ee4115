"""Small audio I/O helpers on numpy arrays (float32, shape (samples,) or (samples, channels))."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .errors import InvalidMediaError

__all__ = ["Audio", "load", "save", "to_mono", "resample", "duration"]


@dataclass
class Audio:
    samples: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate) if self.sample_rate else 0.0

    @property
    def channels(self) -> int:
        return 1 if self.samples.ndim == 1 else self.samples.shape[1]


def load(path: str | Path, *, mono: bool = False, sample_rate: int | None = None) -> Audio:
    path = Path(path)
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=False)
    except Exception as exc:  # soundfile raises several types; one clear message
        raise InvalidMediaError(f"{path.name}: cannot read audio ({exc})") from exc
    if data.size == 0:
        raise InvalidMediaError(f"{path.name}: audio is empty")
    audio = Audio(np.ascontiguousarray(data), int(sr))
    if mono:
        audio = Audio(to_mono(audio.samples), audio.sample_rate)
    if sample_rate and sample_rate != audio.sample_rate:
        audio = Audio(resample(audio.samples, audio.sample_rate, sample_rate), sample_rate)
    return audio


def save(path: str | Path, samples: np.ndarray, sample_rate: int, *, subtype: str = "PCM_16") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".part" + path.suffix)
    sf.write(str(tmp), np.clip(samples, -1.0, 1.0), sample_rate, subtype=subtype, format="WAV")
    tmp.replace(path)
    return path


def to_mono(samples: np.ndarray) -> np.ndarray:
    return samples if samples.ndim == 1 else samples.mean(axis=1).astype(np.float32)


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Polyphase resampling (scipy); keeps channels."""
    if src_rate == dst_rate:
        return samples
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(src_rate, dst_rate)
    return resample_poly(samples, dst_rate // g, src_rate // g, axis=0).astype(np.float32)


def duration(path: str | Path) -> float:
    info = sf.info(str(path))
    return info.frames / float(info.samplerate)
