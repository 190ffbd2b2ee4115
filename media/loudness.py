"""EBU R128 loudness, measured one way everywhere: ffmpeg's `ebur128` filter.

Integrated loudness (LUFS, gated), loudness range and true peak (dBTP, 4x oversampled). Mono
is measured as dual-mono (as it plays on two speakers), so a mono stem and the stereo mix
built from it read the same. pyloudnorm is not used: it has no true-peak meter, and one
meter for both figures keeps QC numbers consistent.
"""
from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import ffmpeg
from .config import ffmpeg_timeout
from .errors import InvalidMediaError, MediaError

__all__ = ["Loudness", "measure", "meter", "parse_summary", "measure_array", "short_term", "profile", "SILENCE_LUFS", "SILENCE_DBTP"]

SILENCE_LUFS = -70.0  # what the gate reports for silence
# ebur128 reports the peak of digital silence as -inf; a meter bottoms out instead. -144 dB is
# below the quietest step a 24-bit file can hold, so "silent" reads as a number every JSON
# store accepts (PostgreSQL refuses -Infinity) and still sorts below any real signal.
SILENCE_DBTP = -144.0


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_dbtp: float
    lra: float
    threshold_lufs: float

    @property
    def silent(self) -> bool:
        return self.integrated_lufs <= SILENCE_LUFS + 0.05

    def as_dict(self) -> dict:
        return {"integrated_lufs": round(self.integrated_lufs, 2), "true_peak_dbtp": round(self.true_peak_dbtp, 2),
                "lra": round(self.lra, 2), "threshold_lufs": round(self.threshold_lufs, 2)}

    def __str__(self) -> str:
        return (f"{self.integrated_lufs:.1f} LUFS integrated, {self.true_peak_dbtp:.1f} dBTP true peak, "
                f"LRA {self.lra:.1f} LU")


_FILTER = "ebur128=peak=true:dualmono=true:framelog=verbose"  # verbose: no per-frame lines at info
# without the true-peak meter (it upsamples 4x: about half the meter's time) where only loudness is needed
_FILTER_NO_PEAK = "ebur128=peak=none:dualmono=true:framelog=verbose"


def meter(*, true_peak: bool = True) -> str:
    """The ebur128 filter `measure` runs, for a graph that measures a stream while writing it."""
    return _FILTER if true_peak else _FILTER_NO_PEAK
_NUM = r"(-?(?:inf|[0-9.]+))"


def _value(summary: str, label: str, unit: str, floor: float) -> float:
    """A figure of the summary; silence (-inf, or under the meter's floor) reads as the floor."""
    match = re.search(rf"{label}:\s+{_NUM}\s+{unit}", summary)
    if not match:
        raise MediaError(f"ebur128 summary lacks {label}")
    value = float(match.group(1))
    return max(value, floor) if math.isfinite(value) else floor


def parse_summary(stderr: str) -> Loudness:
    """Parse the `Summary:` block that ebur128 prints at the end."""
    idx = stderr.rfind("Summary:")
    if idx < 0:
        raise MediaError("ebur128 printed no summary (no audio decoded?)")
    summary = stderr[idx:]
    integrated = _value(summary, "I", "LUFS", SILENCE_LUFS)
    threshold = _value(summary, "Threshold", "LUFS", SILENCE_LUFS)
    lra = _value(summary, "LRA", "LU", 0.0)
    # a meter run without true peak has no peak block: NaN, never a number that could pass a check
    peak = _value(summary, "Peak", "dBFS", SILENCE_DBTP) if "Peak:" in summary else math.nan
    return Loudness(integrated, peak, lra, threshold)


def _run(args: list[str], timeout: float, name: str, data: bytes | None = None) -> str:
    ok, reason = ffmpeg.availability()
    if not ok:
        raise MediaError(reason)
    try:
        proc = subprocess.run(args, input=data, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"loudness measurement of {name} timed out after {exc.timeout:.0f} s") from exc
    text = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        lines = text.strip().splitlines()
        raise InvalidMediaError(f"{name}: loudness could not be measured ({lines[-1] if lines else proc.returncode})")
    return text


def measure(path: str | Path, *, stream: str = "0:a:0", timeout: float | None = None,
            true_peak: bool = True) -> Loudness:
    """Integrated loudness and true peak of the first (or given) audio stream of a file
    (`true_peak=False`: loudness only, the peak NaN)."""
    path = Path(path)
    info = ffmpeg.probe(path)
    ffmpeg.require_audio(info)
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", str(path),
            "-map", stream, "-af", meter(true_peak=true_peak), "-f", "null", "-"]
    return parse_summary(_run(args, timeout or ffmpeg_timeout(), path.name))


def measure_array(samples: np.ndarray, sample_rate: int, *, timeout: float = 300) -> Loudness:
    """Same meter on an in-memory array ((n,) mono or (n, channels))."""
    data = np.ascontiguousarray(samples, dtype=np.float32)
    channels = 1 if data.ndim == 1 else data.shape[1]
    if data.size == 0:
        raise InvalidMediaError("loudness of an empty signal")
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-f", "f32le", "-ar", str(sample_rate),
            "-ac", str(channels), "-i", "pipe:0", "-af", _FILTER, "-f", "null", "-"]
    return parse_summary(_run(args, timeout, "signal", data.tobytes()))


_FRAME = re.compile(r"t:\s*([0-9.]+)\s+TARGET.*?S:\s*(-?(?:inf|[0-9.]+))")


def short_term(path: str | Path, *, step: float = 1.0, timeout: float | None = None) -> list[tuple[float, float]]:
    """Short-term loudness (3 s window, LUFS) every `step` seconds: (time, LUFS) pairs for a
    loudness-over-time picture. Silence reads as SILENCE_LUFS."""
    return profile(path, step=step, timeout=timeout)[0]


def profile(path: str | Path, *, step: float = 1.0, timeout: float | None = None
            ) -> tuple[list[tuple[float, float]], Loudness]:
    """The short-term curve and the whole file's figures (integrated, true peak, LRA) in one pass."""
    path = Path(path)
    ffmpeg.require_audio(ffmpeg.probe(path))
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", str(path), "-map", "0:a:0",
            "-af", "ebur128=peak=true:dualmono=true:framelog=info", "-f", "null", "-"]
    out: list[tuple[float, float]] = []
    next_at = 0.0
    text = _run(args, timeout or ffmpeg_timeout(), path.name)
    for match in _FRAME.finditer(text):
        t = float(match.group(1))
        if t + 1e-6 < next_at:
            continue  # ebur128 reports every 100 ms; keep one point per step
        value = float(match.group(2))
        out.append((round(t, 2), max(value, SILENCE_LUFS) if math.isfinite(value) else SILENCE_LUFS))
        next_at = t + step
    return out, parse_summary(text)
