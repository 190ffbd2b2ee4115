"""Reference clips per speaker: the voice a cloning engine imitates and voice matching compares.

For each speaker: take the parts of their turns where nobody else speaks, drop pieces shorter
than `min_segment`, prefer long pieces with a high share of detected speech, trim silence at
both ends with the VAD, and concatenate until the budget. If that yields nothing, take the
longest single piece; if there is none, there is no ref and the manifest says why.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .audio import resample, save
from .diarization import Turn
from .vad import Region

__all__ = ["RefParams", "SpeakerRef", "exclusive_pieces", "build_refs", "clean_speech"]


@dataclass(frozen=True)
class RefParams:
    min_segment: float = 0.7
    budget_min: float = 6.0
    budget_max: float = 12.0
    clone_rate: int = 22050  # XTTS reads its reference at 22.05 kHz
    joint_gap: float = 0.15  # silence between concatenated pieces


@dataclass
class SpeakerRef:
    speaker: str
    path: str | None
    clone_path: str | None
    seconds: float
    method: str  # concatenated | longest_segment | none
    sources: list[list[float]] = field(default_factory=list)
    reason: str = ""
    f0_hz: float | None = None


def exclusive_pieces(turns: Sequence[Turn], speaker: str) -> list[tuple[float, float]]:
    """The speaker's time with no other speaker talking."""
    others = sorted((t.start, t.end) for t in turns if t.speaker != speaker)
    pieces = []
    for t in turns:
        if t.speaker != speaker:
            continue
        spans = [(t.start, t.end)]
        for a, b in others:
            nxt = []
            for s, e in spans:
                if b <= s or a >= e:
                    nxt.append((s, e))
                    continue
                if a > s:
                    nxt.append((s, a))
                if b < e:
                    nxt.append((b, e))
            spans = nxt
        pieces.extend(spans)
    return sorted(pieces)


def clean_speech(samples: np.ndarray, sample_rate: int, turns: Sequence[Turn], speaker: str, *,
                 max_seconds: float = 30.0, min_piece: float = 0.3) -> tuple[np.ndarray, float, bool]:
    """The speaker's audio for a voice embedding: their pieces with nobody else talking, longest
    first up to `max_seconds`. When those add up to under a second (a speaker who is always
    talked over), their whole turns instead, and the third value says the clip has overlap."""
    def gather(pieces):
        chosen, total = [], 0.0
        for a, b in sorted(pieces, key=lambda p: p[0] - p[1]):
            if b - a < min_piece or total >= max_seconds:
                continue
            b = min(b, a + max_seconds - total)
            chosen.append((a, b))
            total += b - a
        chosen.sort()
        parts = [samples[int(a * sample_rate): int(b * sample_rate)] for a, b in chosen]
        return (np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)), total

    clip, total = gather(exclusive_pieces(turns, speaker))
    if total >= 1.0:
        return clip, round(total, 3), False
    clip, total = gather([(t.start, t.end) for t in turns if t.speaker == speaker])
    return clip, round(total, 3), True


def _speech_in(a: float, b: float, speech: Sequence[Region]) -> tuple[float, float | None, float | None]:
    """Seconds of speech inside [a, b), and the first/last speech instants (for trimming)."""
    total, first, last = 0.0, None, None
    for r in speech:
        s, e = max(a, r.start), min(b, r.end)
        if e > s:
            total += e - s
            first = s if first is None else first
            last = e
    return total, first, last


def build_refs(
    samples: np.ndarray, sample_rate: int, turns: Sequence[Turn], speech: Sequence[Region], out_dir: str | Path,
    *, params: RefParams = RefParams(),
) -> dict[str, SpeakerRef]:
    """Write `<speaker>.wav` (input rate, mono) and `<speaker>.clone.wav` per speaker plus
    `manifest.json` into out_dir; return the refs by speaker."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    from .prosody import median_f0

    refs: dict[str, SpeakerRef] = {}
    for speaker in sorted({t.speaker for t in turns}):
        pieces = exclusive_pieces(turns, speaker)
        scored = []
        for a, b in pieces:
            speech_s, first, last = _speech_in(a, b, speech)
            if first is None:
                continue
            a2, b2 = max(a, first), min(b, last)  # trim silence at both ends
            if b2 - a2 >= params.min_segment:
                scored.append(((b2 - a2) * (speech_s / max(b - a, 1e-6)), a2, b2))
        chosen, total, method = [], 0.0, "concatenated"
        for _, a, b in sorted(scored, reverse=True):
            if total >= params.budget_max:
                break
            b = min(b, a + (params.budget_max - total))
            if b - a < params.min_segment:
                continue
            chosen.append((a, b))
            total += b - a
        if not chosen and pieces:
            a, b = max(pieces, key=lambda p: p[1] - p[0])
            chosen, total, method = [(a, min(b, a + params.budget_max))], min(b - a, params.budget_max), "longest_segment"
        if not chosen:
            refs[speaker] = SpeakerRef(speaker, None, None, 0.0, "none",
                                       reason="no stretch of this speaker without another voice over it")
            continue
        chosen.sort()
        gap = np.zeros(int(params.joint_gap * sample_rate), dtype=np.float32)
        parts = []
        for a, b in chosen:
            parts += [samples[int(a * sample_rate): int(b * sample_rate)], gap]
        clip = np.concatenate(parts[:-1]).astype(np.float32)
        peak = float(np.max(np.abs(clip))) if clip.size else 0.0
        if peak > 0:
            clip = clip * min(0.9 / peak, 10.0)  # a quiet speaker still gives the engine a usable level
        path = save(out_dir / f"{speaker}.wav", clip, sample_rate)
        clone = save(out_dir / f"{speaker}.clone.wav", resample(clip, sample_rate, params.clone_rate), params.clone_rate)
        reason = "" if total >= params.budget_min else f"only {total:.1f} s usable (< {params.budget_min:.0f} s budget)"
        refs[speaker] = SpeakerRef(speaker, path.name, clone.name, round(total, 3), method,
                                   [[round(a, 3), round(b, 3)] for a, b in chosen], reason, median_f0(clip, sample_rate))
    manifest = {"parameters": asdict(params), "speakers": {k: asdict(v) for k, v in refs.items()}}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return refs
