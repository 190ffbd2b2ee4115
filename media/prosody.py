"""Pitch: the median fundamental frequency of voiced speech (autocorrelation per frame).

Used to tell low from high voices (a gender hint for preset voices) and to shift a preset
voice toward a speaker's pitch when no cloning engine is available.
"""
from __future__ import annotations

import numpy as np

__all__ = ["median_f0", "gender_hint", "semitones_between"]

FMIN, FMAX = 65.0, 400.0
LOUDEST = 0.3  # fraction of frames (by energy) the pitch is read from


def median_f0(samples: np.ndarray, sample_rate: int, *, frame: float = 0.04, hop: float = 0.02) -> float | None:
    """Median F0 in Hz over voiced frames, or None when nothing voiced is found."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim > 1:
        x = x.mean(axis=1)
    n, h = int(frame * sample_rate), int(hop * sample_rate)
    if len(x) < n:
        return None
    lo, hi = int(sample_rate / FMAX), int(sample_rate / FMIN)
    window = np.hanning(n)
    frames = np.stack([x[i:i + n] for i in range(0, len(x) - n, h)]) * window if len(x) > n else np.zeros((0, n))
    rms = np.sqrt(np.mean(frames**2, axis=1)) if len(frames) else np.zeros(0)
    # Only the loudest frames: there the voice dominates a music or noise bed, whose own
    # periodicity otherwise wins the autocorrelation (a man over chords read as 230 Hz).
    floor = max(0.1 * float(np.sqrt(np.mean(x**2))), float(np.quantile(rms, 1.0 - LOUDEST))) if len(rms) else 0.0
    f0s = []
    for f in frames[rms >= floor]:
        ac = np.fft.irfft(np.abs(np.fft.rfft(f, 2 * n)) ** 2)[:n]
        if ac[0] <= 0:
            continue
        ac = ac / ac[0]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.45:  # clearly periodic: voiced
            f0s.append(sample_rate / lag)
    if len(f0s) < 5:
        return None
    return float(np.median(f0s))


def gender_hint(f0: float | None) -> str:
    """'m' below ~165 Hz, 'f' above; '' when unknown. A hint for preset voices, nothing more."""
    if not f0:
        return ""
    return "m" if f0 < 165.0 else "f"


def semitones_between(src_hz: float | None, dst_hz: float | None) -> float:
    if not src_hz or not dst_hz:
        return 0.0
    return float(12.0 * np.log2(dst_hz / src_hz))
