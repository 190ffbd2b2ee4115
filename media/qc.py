"""Quality control of a finished dub, line by line and for the episode.

Per line of the dub track: a round trip (the dubbed line transcribed again with the fast ASR
model, against the text it was meant to say), the voice (speaker similarity to its character's
reference, and to the other characters: is it closer to someone else?), the timing (speed-up,
overrun, overlap with the next line, offset from the source line) and the level (clipping in the
mix, too quiet against the other lines). Per episode: loudness of the mix, coverage of the source
speech, failures per kind, and a verdict that names the thresholds it used.
"""
from __future__ import annotations

import difflib
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np

from .metrics import normalize_text, wer

__all__ = ["Thresholds", "LineSpec", "LineQc", "EpisodeQc", "check_lines", "check_episode", "FLAGS",
           "words_missing_extra", "coverage"]

FLAGS = ("qc_wer", "qc_voice", "qc_timing", "qc_level")
MIN_VOICE_SECONDS = 1.0  # a speaker embedding of less speech than this says little


@dataclass(frozen=True)
class Thresholds:
    """Where a line fails. Defaults are chosen to catch what a listener notices, not to nag:
    tiny.en mishears clean TTS now and then (about 0.1 WER), so a line fails at 0.4."""
    wer: float = 0.4
    voice_margin: float = 0.05  # fails when another character's voice is closer by more than this
    speed: float = 1.35  # the speed-up editors are warned about
    overlap: float = 0.15  # seconds a line may run into the next one
    offset: float = 0.5  # seconds the dub may start away from the source line
    peak_dbfs: float = -0.3  # a sample at or above this in the mix is clipping
    quiet_db: float = 12.0  # a line this much below the median line level is too quiet
    loudness_tolerance: float = 2.0  # LU around the target
    max_failing: float = 0.1  # share of failing lines (and more than one) above which the episode needs review

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LineSpec:
    index: int
    start: float  # the slot (the source line's time)
    end: float
    text: str  # what the dub was meant to say
    character: str = ""
    dub_start: float | None = None  # where the clip was placed (defaults to start)
    dub_end: float | None = None  # where it ends (start + clip duration)
    speed: float = 1.0
    overrun: bool = False


@dataclass
class LineQc:
    index: int
    character: str
    heard: str = ""
    wer: float | None = None
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    similarity: float | None = None  # to its own character's reference
    closest_other: str | None = None
    closest_other_similarity: float | None = None
    speed: float = 1.0
    overrun: bool = False
    overlap_next: float = 0.0
    offset: float = 0.0
    peak_dbfs: float | None = None
    level_db: float | None = None
    flags: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass
class EpisodeQc:
    loudness: dict
    coverage: float | None
    failures: dict[str, int]
    lines: int
    verdict: str  # "pass" | "review"
    reasons: list[str]
    thresholds: dict

    def as_dict(self) -> dict:
        return asdict(self)


def words_missing_extra(reference: str, heard: str) -> tuple[list[str], list[str]]:
    ref, hyp = normalize_text(reference).split(), normalize_text(heard).split()
    missing, extra = [], []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(a=ref, b=hyp, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            missing += ref[a0:a1]
        if op in ("insert", "replace"):
            extra += hyp[b0:b1]
    return missing, extra


def _db(x: float) -> float:
    return 20 * math.log10(max(x, 1e-9))


def _heard_audio(line: LineSpec, dialogue: np.ndarray, rate: int, clips) -> tuple[np.ndarray, np.ndarray]:
    """(the line's slice of the dialogue track, what is listened to: its own clip when there is one)."""
    begin = line.dub_start if line.dub_start is not None else line.start
    finish = line.dub_end if line.dub_end is not None else line.end
    clip = _slice(dialogue, rate, begin, finish)
    alone = (clips or {}).get(line.index)
    return clip, (alone if alone is not None and len(alone) else clip)


def _slice(samples: np.ndarray, rate: int, start: float, end: float) -> np.ndarray:
    a, b = max(int(start * rate), 0), min(int(math.ceil(end * rate)), len(samples))
    return samples[a:b] if b > a else samples[:0]


def check_lines(lines: Sequence[LineSpec], *, dialogue: np.ndarray, rate: int, mix: np.ndarray | None = None,
                mix_rate: int | None = None, transcribe: Callable[[np.ndarray, int], str] | None = None,
                embed: Callable[[np.ndarray, int], np.ndarray | None] | None = None,
                refs: dict[str, np.ndarray] | None = None, thresholds: Thresholds = Thresholds(),
                clips: dict[int, np.ndarray] | None = None,
                transcribe_many: Callable[[list[np.ndarray], int], list[str | None]] | None = None) -> list[LineQc]:
    """`dialogue`: the dub's dialogue track (mono); `mix`: the final mix (for clipping);
    `clips`: each line's own fitted clip (mono, `rate`) by index, heard instead of its slice of the
    track when given: where lines overlap, a slice holds two voices and neither check is fair;
    `transcribe(samples, rate) → text` and `embed(samples, rate) → unit vector | None` are the
    engines (None: that check is skipped); `transcribe_many(list of samples, rate) → texts`, when
    given, hears all lines in one go (media.roundtrip) instead of `transcribe` line by line (None
    for a line: it could not be heard, so it gets no WER rather than a failure);
    `refs`: unit vectors per character code."""
    t = thresholds
    ordered = sorted(lines, key=lambda ln: ln.start)
    peaks = None if mix is None or not mix_rate else (np.abs(mix) if mix.ndim == 1 else np.abs(mix).max(axis=1))
    audios = [_heard_audio(line, dialogue, rate, clips) for line in ordered]
    batch = None
    pending = None
    if transcribe_many is not None:
        spoken = [k for k, line in enumerate(ordered) if line.text.strip()]
        # the round trip (CTranslate2) runs beside the embeddings (torch, one thread): both release the GIL
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qc-round-trip")
        pending = pool.submit(transcribe_many, [audios[k][1] for k in spoken], rate)
        pool.shutdown(wait=False)
    vectors: dict[int, np.ndarray | None] = {}
    if embed is not None and refs:
        for i, line in enumerate(ordered):
            if line.character in refs and len(audios[i][1]) >= MIN_VOICE_SECONDS * rate:
                vectors[i] = embed(audios[i][1], rate)
    if pending is not None:
        batch = dict(zip(spoken, pending.result()))
    out: list[LineQc] = []
    for i, line in enumerate(ordered):
        q = LineQc(line.index, line.character, speed=round(line.speed, 3), overrun=line.overrun)
        begin = line.dub_start if line.dub_start is not None else line.start
        finish = line.dub_end if line.dub_end is not None else line.end
        clip, heard_audio = audios[i]
        q.offset = round(abs(begin - line.start), 3)
        if i + 1 < len(ordered):
            nxt = ordered[i + 1]
            q.overlap_next = round(max(0.0, finish - (nxt.dub_start if nxt.dub_start is not None else nxt.start)), 3)
        heard = None
        if line.text.strip():
            if batch is not None:
                heard = batch.get(i)
            elif transcribe is not None:
                heard = transcribe(heard_audio, rate) if len(heard_audio) else ""
        if heard is not None:
            q.heard = heard
            q.wer = round(wer(line.text, q.heard), 4)
            q.missing, q.extra = words_missing_extra(line.text, q.heard)
            if q.wer > t.wer:
                q.flags.append("qc_wer")
                q.reasons.append(f"round trip WER {q.wer:.2f} > {t.wer:.2f}")
        vec = vectors.get(i)
        if vec is not None:
            sims = {code: float(np.dot(vec, ref)) for code, ref in refs.items()}
            q.similarity = round(sims[line.character], 4)
            others = {c: s for c, s in sims.items() if c != line.character}
            if others:
                q.closest_other, q.closest_other_similarity = max(others.items(), key=lambda kv: kv[1])
                q.closest_other_similarity = round(q.closest_other_similarity, 4)
                if q.closest_other_similarity > q.similarity + t.voice_margin:
                    q.flags.append("qc_voice")
                    q.reasons.append(f"sounds closer to {q.closest_other} ({q.closest_other_similarity:.2f}) "
                                     f"than to {line.character} ({q.similarity:.2f})")
        timing = []
        if line.speed > t.speed + 1e-6:
            timing.append(f"speed-up {line.speed:.2f}x > {t.speed:.2f}x")
        if line.overrun:
            timing.append("overruns its slot")
        if q.overlap_next > t.overlap:
            timing.append(f"runs {q.overlap_next:.2f} s into the next line")
        if q.offset > t.offset:
            timing.append(f"starts {q.offset:.2f} s away from the source line")
        if timing:
            q.flags.append("qc_timing")
            q.reasons += timing
        if len(clip):
            q.level_db = round(_db(float(np.sqrt(np.mean(np.square(clip, dtype=np.float64))))), 2)
        if peaks is not None:
            part = _slice(peaks, mix_rate, begin, finish)
            if len(part):
                q.peak_dbfs = round(_db(float(part.max())), 2)
                if q.peak_dbfs >= t.peak_dbfs:
                    q.flags.append("qc_level")
                    q.reasons.append(f"mix clips ({q.peak_dbfs:.1f} dBFS)")
        out.append(q)
    levels = [q.level_db for q in out if q.level_db is not None and q.level_db > -90]
    if levels:
        median = float(np.median(levels))
        for q in out:
            if q.level_db is not None and q.level_db < median - t.quiet_db:
                if "qc_level" not in q.flags:
                    q.flags.append("qc_level")
                q.reasons.append(f"{median - q.level_db:.0f} dB below the other lines")
    return out


def coverage(dub: Sequence[tuple[float, float]], source: Sequence[tuple[float, float]]) -> float | None:
    """Share of the source speech time during which the dub speaks (None: no source speech)."""
    def union(spans):
        merged: list[list[float]] = []
        for s, e in sorted((float(s), float(e)) for s, e in spans if e > s):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        return merged

    src, dub_u = union(source), union(dub)
    total = sum(e - s for s, e in src)
    if total <= 0:
        return None
    covered = 0.0
    for s, e in src:
        for ds, de in dub_u:
            covered += max(0.0, min(e, de) - max(s, ds))
    return round(min(covered / total, 1.0), 4)


def check_episode(lines: Sequence[LineQc], *, loudness: dict, target_lufs: float, ceiling_dbtp: float,
                  coverage_share: float | None, thresholds: Thresholds = Thresholds()) -> EpisodeQc:
    t = thresholds
    failures = {flag: sum(1 for q in lines if flag in q.flags) for flag in FLAGS}
    failing = sum(1 for q in lines if q.flags)
    reasons = []
    # one failing line is the editors' to fix, not the episode's verdict (in a six-line scene it is 17 %)
    if lines and failing > max(1.0, t.max_failing * len(lines)):
        reasons.append(f"{failing} of {len(lines)} lines fail a check (more than {t.max_failing:.0%})")
    integrated = loudness.get("integrated_lufs")
    if integrated is not None and abs(integrated - target_lufs) > t.loudness_tolerance:
        reasons.append(f"integrated loudness {integrated:.1f} LUFS is off the target {target_lufs:.0f} "
                       f"by more than {t.loudness_tolerance:.0f} LU")
    peak = loudness.get("true_peak_dbtp")
    if peak is not None and peak > ceiling_dbtp + 0.05:
        reasons.append(f"true peak {peak:.1f} dBTP above the ceiling {ceiling_dbtp:.1f}")
    return EpisodeQc(loudness=loudness, coverage=coverage_share, failures=failures, lines=len(lines),
                     verdict="review" if reasons else "pass", reasons=reasons,
                     thresholds={**t.as_dict(), "target_lufs": target_lufs, "ceiling_dbtp": ceiling_dbtp})
