"""Fit each synthesized line into its slot without clipping words.

Order of remedies for a line that is too long: speed it up (pitch preserved) up to a cap,
then borrow silence from the gap before the next line, then report what still overruns so
an editor can shorten the line. Nothing is ever cut off.
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from .errors import EngineUnavailable, MediaError

__all__ = [
    "DEFAULT_CAP", "MIN_SPEED", "FitResult", "Line", "plan_fit", "fit_clip", "fit_lines", "settle_clip", "change_tempo",
    "run_filter", "has_rubberband", "time_alone",
]

DEFAULT_CAP = 1.35
MIN_GAP_KEPT = 0.05  # seconds of silence always left before the next line starts
TOLERANCE = 0.02  # overruns shorter than this are not worth flagging (one video frame)
# A line much shorter than its slot (slow, pausing delivery in the source) is slowed toward the
# slot, to no less than this speed: past it, stretched speech starts to sound drawn out.
MIN_SPEED = 0.75


@lru_cache(maxsize=1)
def has_rubberband() -> bool:
    """ffmpeg built with librubberband (better pitch-preserving stretch than atempo)."""
    if shutil.which("ffmpeg") is None:
        return False
    try:
        proc = subprocess.run(["ffmpeg", "-hide_banner", "-filters"], capture_output=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return False
    return b" rubberband " in proc.stdout


def run_filter(samples: np.ndarray, sample_rate: int, filtergraph: str, *, timeout: float = 120) -> np.ndarray:
    """Run a mono float32 array through an ffmpeg audio filtergraph (pipes, no temp files)."""
    if shutil.which("ffmpeg") is None:
        raise EngineUnavailable("ffmpeg not on PATH (apt-get install ffmpeg)")
    data = np.ascontiguousarray(samples, dtype=np.float32)
    if data.ndim != 1:
        raise MediaError("run_filter expects mono samples")
    fmt = ["-f", "f32le", "-ar", str(sample_rate), "-ac", "1"]
    args = ["ffmpeg", "-nostdin", "-v", "error", *fmt, "-i", "pipe:0", "-af", filtergraph, *fmt, "pipe:1"]
    try:
        # communicate() (inside run) feeds stdin and drains stdout together: no pipe deadlock
        proc = subprocess.run(args, input=data.tobytes(), capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"ffmpeg filter {filtergraph!r} timed out after {timeout:.0f} s") from exc
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaError(f"ffmpeg filter {filtergraph!r} failed: {lines[-1] if lines else proc.returncode}")
    return np.frombuffer(proc.stdout, dtype=np.float32).copy()


def _atempo_chain(factor: float) -> str:
    # atempo accepts 0.5..100 per instance; chain instances for slower factors
    parts = []
    while factor < 0.5:
        parts.append("atempo=0.5")
        factor /= 0.5
    parts.append(f"atempo={factor:.6f}")
    return ",".join(parts)


def change_tempo(samples: np.ndarray, sample_rate: int, factor: float) -> np.ndarray:
    """Play `factor` times faster with pitch preserved (rubberband if ffmpeg has it, else atempo)."""
    if factor <= 0:
        raise MediaError(f"tempo factor must be positive, got {factor}")
    if abs(factor - 1.0) < 1e-4 or len(samples) == 0:
        return np.asarray(samples, dtype=np.float32)
    # smooth transients: the default "crisp" mode detunes steady voiced sounds by up to 2 %
    graph = f"rubberband=tempo={factor:.6f}:transients=smooth" if has_rubberband() else _atempo_chain(factor)
    out = run_filter(samples, sample_rate, graph)
    # stretchers round to their block size; pin the length to the exact target
    want = int(round(len(samples) / factor))
    if len(out) > want:
        out = out[:want]
    elif len(out) < want:
        out = np.pad(out, (0, want - len(out)))
    return out


def settle_clip(samples: np.ndarray, sample_rate: int, slot: float, *, min_speed: float = MIN_SPEED) -> np.ndarray:
    """Slow a clearly short clip (< 90 % of its slot) toward the slot, pitch kept, so the dub follows
    the original's pace; never below `min_speed`. Other clips come back unchanged."""
    seconds = len(samples) / float(sample_rate)
    if slot <= 0 or seconds >= 0.9 * slot:
        return samples
    return change_tempo(samples, sample_rate, max(seconds / slot, min_speed))


def time_alone(spans: Sequence[tuple[float, float]]) -> list[float]:
    """Seconds each (start, end) slot has before another line starts: the time a line may be slowed
    toward (settle_clip). A source turn that others talk into (crosstalk) is not slowed into their
    time, where it would only sound over them for longer; nor is a turn that begins while another is
    still running (it has no time alone: slowed, it stayed under the other line for longer, and the
    composite dub's crosstalk lines slowed to 0.75x were the ones ASR lost)."""
    out = []
    for i, (start, end) in enumerate(spans):
        if any(j != i and s <= start < e and (s < start or j < i) for j, (s, e) in enumerate(spans)):
            out.append(0.0)
            continue
        later = [s for j, (s, _) in enumerate(spans) if j != i and (s > start or (s == start and j > i))]
        out.append(max(min([end, *later]) - start, 0.0))
    return out


@dataclass(frozen=True)
class FitResult:
    """How one line was fitted. Seconds throughout.

    `factor` is the speed-up applied (1.0 = none); `borrowed` is taken from the gap after the
    slot; `overrun` is what still does not fit (the clip is kept whole and overlaps the next
    line by that much); `flagged` asks review to shorten the line.
    """

    index: int
    original: float
    slot: float
    gap_after: float
    factor: float
    borrowed: float
    overrun: float
    output: float
    flagged: bool
    reason: str = ""

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Line:
    """A clip and where it should sit: [start, end) on the episode timeline. `cap`: this line's own
    speed-up cap (a line the engine already spoke faster has less left), else fit_lines' cap."""

    samples: np.ndarray
    sample_rate: int
    start: float
    end: float
    cap: float | None = None


def plan_fit(
    clip_seconds: float, slot_seconds: float, gap_after: float = 0.0, *, cap: float = DEFAULT_CAP, index: int = 0
) -> FitResult:
    """Decide factor / borrow / overrun for a clip of a given length (no audio touched)."""
    if cap < 1.0:
        raise MediaError(f"speed cap must be >= 1.0, got {cap}")
    slot = max(slot_seconds, 0.0)
    gap = max(gap_after - MIN_GAP_KEPT, 0.0)
    if clip_seconds <= slot:
        return FitResult(index, clip_seconds, slot, gap_after, 1.0, 0.0, 0.0, clip_seconds, False)
    factor = min(clip_seconds / slot, cap) if slot > 0 else cap
    if factor - 1.0 < 0.01:
        factor = 1.0  # a 1 % stretch is inaudible in timing but not free in artefacts
    sped = clip_seconds / factor
    borrowed = min(max(sped - slot, 0.0), gap)
    overrun = max(sped - slot - borrowed, 0.0)
    flagged = overrun > TOLERANCE
    reason = ""
    if flagged:
        reason = (f"line needs {clip_seconds:.2f} s, slot {slot:.2f} s + {gap:.2f} s of gap at {cap:.2f}x: "
                  f"overruns by {overrun:.2f} s, shorten it")
    return FitResult(index, clip_seconds, slot, gap_after, factor, borrowed, overrun, sped, flagged, reason)


def fit_clip(
    samples: np.ndarray, sample_rate: int, slot_seconds: float, gap_after: float = 0.0,
    *, cap: float = DEFAULT_CAP, index: int = 0,
) -> tuple[np.ndarray, FitResult]:
    """Speed a clip up (≤ cap) so it fits its slot, borrowing from the following gap if needed.

    Returns the (possibly sped-up) samples, never truncated, and the FitResult.
    """
    samples = np.asarray(samples, dtype=np.float32)
    plan = plan_fit(len(samples) / float(sample_rate), slot_seconds, gap_after, cap=cap, index=index)
    if plan.factor == 1.0:
        return samples, plan
    out = change_tempo(samples, sample_rate, plan.factor)
    return out, FitResult(**{**asdict(plan), "output": len(out) / float(sample_rate)})


def fit_lines(
    lines: Sequence[Line], *, cap: float = DEFAULT_CAP, total_seconds: float | None = None
) -> list[tuple[np.ndarray, FitResult]]:
    """Fit every line; the gap after line i runs to the start of line i+1 (or to the end).

    Lines are taken in start order; results come back in the input order.
    """
    order = sorted(range(len(lines)), key=lambda i: lines[i].start)
    results: list[tuple[np.ndarray, FitResult] | None] = [None] * len(lines)
    for pos, i in enumerate(order):
        line = lines[i]
        if pos + 1 < len(order):
            next_start = lines[order[pos + 1]].start
        else:
            next_start = total_seconds if total_seconds is not None else line.end
        gap = max(next_start - line.end, 0.0)
        results[i] = fit_clip(line.samples, line.sample_rate, line.end - line.start, gap,
                              cap=cap if line.cap is None else line.cap, index=i)
    return results  # type: ignore[return-value]
