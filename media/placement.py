"""Where each fitted line starts on the episode timeline: lines that would talk over each other
are moved apart when the timing allows it, as a dubbing editor slips a line.

A dubbed line that still overruns its slot at the speed cap, or two source lines that overlap
(crosstalk), would otherwise sound together, and a listener (or ASR) loses both (README "Dub
intelligibility": overlapped lines lost 0.36-0.44 of their words, lines heard alone 0.06-0.17).
Each line may start up to `max_shift` seconds before or after its source time; within that,
the placement that leaves the least overlap is chosen, and among those the one that moves lines
least, starting late preferred to starting early (a voice that lags the picture is noticed
less than one that leads it). Lines keep their order; what cannot be separated stays overlapped,
and there the shorter line is lowered under the longer one (duck_talked_over). Measured on the
composite episode (README "Dub intelligibility"): with 1.0 s, 19 of 28 lines are heard alone (7
before), round trip 0.17-0.21 line by line (0.32 before); 0.5 s left 12 s of lines talking over
each other, 1.0 s 8 s (5.5 s with settling to the time alone). One small linear programme
(scipy's HiGHS): 0.14 s for 500 lines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .errors import MediaError

__all__ = ["CROSSTALK_CAP", "DEFAULT_MAX_SHIFT", "DUCK_DB", "GAP", "Placement", "duck_talked_over", "place_lines",
           "arrange_lines", "quicken_talked_over", "talked_over"]

DEFAULT_MAX_SHIFT = 1.0  # seconds a line may start away from its source time (DUBSITE_TTS_MAX_SHIFT)
GAP = 0.05  # seconds of silence kept between two lines laid one after the other
# Costs per second, against 1 per second of overlap: moving is cheap next to talking over, and
# starting early (leading the picture) costs more than starting late.
LATE_COST, EARLY_COST = 0.02, 0.04


@dataclass(frozen=True)
class Placement:
    """Where one line (by input index) starts: `start` on the timeline, `shift` = start - source start."""

    index: int
    source_start: float
    start: float
    seconds: float

    @property
    def shift(self) -> float:
        return self.start - self.source_start

    @property
    def end(self) -> float:
        return self.start + self.seconds


def place_lines(spans: Sequence[tuple[float, float]], *, max_shift: float = DEFAULT_MAX_SHIFT,
                total_seconds: float | None = None, gap: float = GAP) -> list[Placement]:
    """`spans`: (source start, clip seconds) per line. Returns one Placement per line, in input order.

    Each start stays within `max_shift` of its source start, at or after 0, and (where the clip
    fits) early enough to end by `total_seconds`; lines keep their source order. With max_shift 0
    every line starts at its source time."""
    if max_shift < 0:
        raise MediaError(f"max_shift must be >= 0, got {max_shift}")
    n = len(spans)
    src = np.array([float(s) for s, _ in spans])
    dur = np.array([max(float(d), 0.0) for _, d in spans])
    plain = [Placement(i, float(src[i]), float(src[i]), float(dur[i])) for i in range(n)]
    if n < 2 or max_shift == 0:
        return plain
    order = sorted(range(n), key=lambda i: (src[i], i))
    s, d = src[order], dur[order]
    low = np.minimum(np.maximum(s - max_shift, 0.0), s)
    high = s + max_shift
    if total_seconds is not None:  # do not push a clip past the end when it fitted before
        high = np.maximum(np.minimum(high, total_seconds - d), s)
    # pairs that could overlap at all within the bounds (a long line may reach past its neighbour)
    pairs = []
    for a in range(n):
        for b in range(a + 1, n):
            if s[b] - max_shift >= s[a] + max_shift + d[a] + gap:
                break  # sorted by start: the later lines are further still
            pairs.append((a, b))
    if not pairs:
        return plain
    placed = _solve(s, d, low, high, pairs, gap)
    if placed is None:
        return plain
    out = list(plain)
    for k, i in enumerate(order):
        out[i] = Placement(i, float(src[i]), float(placed[k]), float(dur[i]))
    return out


def _solve(s, d, low, high, pairs, gap):
    """Variables: start p (n), late l (n), early e (n), overlap o (pairs). Minimise
    sum o + LATE_COST*l + EARLY_COST*e with p - s = l - e, o >= p_a + d_a + gap - p_b, p in order."""
    from scipy.optimize import linprog
    from scipy.sparse import lil_matrix

    n, m = len(s), len(pairs)
    size = 3 * n + m
    cost = np.concatenate([np.zeros(n), np.full(n, LATE_COST), np.full(n, EARLY_COST), np.ones(m)])
    eq = lil_matrix((n, size))
    for i in range(n):  # p_i - l_i + e_i = s_i
        eq[i, i], eq[i, n + i], eq[i, 2 * n + i] = 1.0, -1.0, 1.0
    ub = lil_matrix((m + n - 1, size))
    rhs = np.zeros(m + n - 1)
    for k, (a, b) in enumerate(pairs):  # p_a - p_b - o_k <= -(d_a + gap)
        ub[k, a], ub[k, b], ub[k, 3 * n + k] = 1.0, -1.0, -1.0
        rhs[k] = -(d[a] + gap)
    for i in range(n - 1):  # order kept: p_i <= p_{i+1}
        ub[m + i, i], ub[m + i, i + 1] = 1.0, -1.0
    bounds = [(low[i], high[i]) for i in range(n)] + [(0, None)] * (2 * n + m)
    res = linprog(cost, A_ub=ub.tocsr(), b_ub=rhs, A_eq=eq.tocsr(), b_eq=s, bounds=bounds, method="highs")
    if not res.success:  # never expected (source times are feasible); the lines stay where they were
        return None
    # round to the millisecond, still within the bounds
    return np.clip(np.round(res.x[:n], 3), low, high)


def _sounding_together(placed: Sequence[Placement]):
    """(a, b, from, to) for every two placed lines that sound at once, a starting first."""
    ordered = sorted(range(len(placed)), key=lambda i: placed[i].start)
    for x, a in enumerate(ordered):
        for b in ordered[x + 1:]:
            if placed[b].start >= placed[a].end:
                break
            yield a, b, placed[b].start, min(placed[a].end, placed[b].end)


DUCK_DB = -12.0  # the shorter of two lines still talking over each other, lowered by this much there
DUCK_FADE = 0.03  # seconds: gain ramps, so the dip does not click


def duck_talked_over(clips: Sequence[tuple[np.ndarray, int]], placed: Sequence[Placement], *,
                     depth_db: float = DUCK_DB) -> list[np.ndarray]:
    """Where two placed lines still sound together, the shorter clip is lowered by `depth_db` for
    that stretch, so the longer one (more words) is heard clearly instead of both half-heard.
    `clips`: (samples, rate) per line, in the order of `placed`. Returns new arrays (or the same
    array where nothing overlaps)."""
    gains = [None] * len(clips)
    for a, b, lo, hi in _sounding_together(placed):
        low = b if placed[b].seconds <= placed[a].seconds else a
        samples, rate = clips[low]
        if gains[low] is None:
            gains[low] = np.ones(len(samples), dtype=np.float32)
        t = placed[low].start + np.arange(len(samples)) / float(rate)
        # 1 outside [lo, hi], depth inside, linear ramps of DUCK_FADE at both edges
        inside = np.clip(np.minimum(t - lo, hi - t) / DUCK_FADE + 1.0, 0.0, 1.0)
        dip = 1.0 - inside * (1.0 - 10.0 ** (depth_db / 20.0))
        gains[low] = np.minimum(gains[low], dip.astype(np.float32))
    return [samples if g is None else (samples * g).astype(np.float32) for (samples, _), g in zip(clips, gains)]


# overall speed-up (engine rate x stretch) a line still talked over after placement may reach:
# above the fit's 1.35x cap, because a line heard at 1.5x (palette round trip 0.03-0.11) loses
# fewer words than one heard under another voice (0.30-0.35, README "Dub intelligibility")
CROSSTALK_CAP = 1.5


def talked_over(placed: Sequence[Placement]) -> list[float]:
    """Seconds of each placed line during which another line sounds (at most its own length)."""
    out = [0.0] * len(placed)
    for a, b, lo, hi in _sounding_together(placed):
        out[a] += hi - lo
        out[b] += hi - lo
    return [min(o, p.seconds) for o, p in zip(out, placed)]


def quicken_talked_over(clips: Sequence[tuple[np.ndarray, int]], placed: Sequence[Placement], *,
                        room: Sequence[float]) -> list[np.ndarray] | None:
    """Speed each line that is still talked over up by what would take its talked-over seconds
    off, within `room[i]` (the further speed-up line i may take; <= 1: none), pitch kept. None
    when no line changed; then place the lines again with their new lengths."""
    from .timing import change_tempo

    over = talked_over(placed)
    out, changed = [], False
    for (samples, rate), p, o, r in zip(clips, placed, over, room):
        if o <= 0.0 or r <= 1.0 + 1e-3 or p.seconds <= 0.0:
            out.append(samples)
            continue
        factor = p.seconds / max(p.seconds - o, p.seconds / r)  # at most r
        out.append(change_tempo(samples, rate, factor))
        changed = True
    return out if changed else None


def arrange_lines(clips: Sequence[tuple[np.ndarray, int]], source_starts: Sequence[float], speeds: Sequence[float], *,
                  max_shift: float = DEFAULT_MAX_SHIFT, total_seconds: float | None = None,
                  crosstalk_cap: float = CROSSTALK_CAP) -> tuple[list[tuple[np.ndarray, int]], list[Placement]]:
    """Place fitted clips (place_lines); lines still talked over are then sped up toward
    `crosstalk_cap` overall (`speeds[i]`: the speed-up clip i already has; cap <= 1: never) and
    placed again. Returns the clips as they will sound (before ducking) and where they start."""
    clips = list(clips)

    def place():
        return place_lines([(float(at), len(samples) / rate) for at, (samples, rate) in zip(source_starts, clips)],
                           max_shift=max_shift, total_seconds=total_seconds)

    where = place()
    if crosstalk_cap > 1.0:
        quick = quicken_talked_over(clips, where, room=[crosstalk_cap / max(v, 1e-3) for v in speeds])
        if quick is not None:
            clips = [(q, rate) for q, (_, rate) in zip(quick, clips)]
            where = place()
    return clips, where
