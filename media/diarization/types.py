"""Diarization results: turns, smoothing, labels by first appearance, RTTM in and out."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

import numpy as np

from ..errors import MediaError

__all__ = ["Turn", "Diarization", "smooth", "relabel", "write_rttm", "read_rttm", "to_annotation"]


@dataclass(frozen=True)
class Turn:
    start: float
    end: float
    speaker: str

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Diarization:
    turns: list[Turn]
    engine: str
    num_speakers: int
    notes: list[str] = field(default_factory=list)  # engine decisions worth logging (skips, bounds)

    @property
    def speakers(self) -> list[str]:
        return sorted({t.speaker for t in self.turns})

    def speaker_seconds(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for t in self.turns:
            out[t.speaker] += t.duration
        return dict(out)

    def exclusive(self) -> list[Turn]:
        """Turns without overlap (where two speak at once the longer turn keeps the time):
        what ASR line assignment wants. A sweep over the boundaries: fast on long episodes."""
        order = sorted(self.turns, key=lambda t: t.start)
        cuts = sorted({t.start for t in order} | {t.end for t in order})
        out: list[Turn] = []
        active: list[Turn] = []
        nxt = 0
        for a, b in zip(cuts, cuts[1:]):
            while nxt < len(order) and order[nxt].start <= a:
                active.append(order[nxt])
                nxt += 1
            active = [t for t in active if t.end > a]
            if not active:
                continue
            best = max(active, key=lambda t: (t.duration, -t.start)).speaker
            if out and out[-1].speaker == best and abs(out[-1].end - a) < 1e-9:
                out[-1] = Turn(out[-1].start, b, best)
            else:
                out.append(Turn(a, b, best))
        return out

    def as_dict(self) -> dict:
        return {
            "engine": self.engine,
            "num_speakers": self.num_speakers,
            "turns": [{"start": round(t.start, 3), "end": round(t.end, 3), "speaker": t.speaker} for t in self.turns],
            "notes": list(self.notes),
        }


def relabel(turns: Iterable[Turn]) -> list[Turn]:
    """Sort turns and rename speakers SPEAKER_00, SPEAKER_01, … by first appearance."""
    ordered = sorted(turns, key=lambda t: (t.start, t.end, t.speaker))
    names: dict[str, str] = {}
    for t in ordered:
        names.setdefault(t.speaker, f"SPEAKER_{len(names):02d}")
    return [replace(t, speaker=names[t.speaker]) for t in ordered]


def _merge_same_speaker(turns: list[Turn], gap: float) -> list[Turn]:
    by_speaker: dict[str, list[Turn]] = defaultdict(list)
    for t in sorted(turns, key=lambda t: t.start):
        runs = by_speaker[t.speaker]
        if runs and t.start <= runs[-1].end + gap:
            runs[-1] = Turn(runs[-1].start, max(runs[-1].end, t.end), t.speaker)
        else:
            runs.append(t)
    return sorted((t for runs in by_speaker.values() for t in runs), key=lambda t: (t.start, t.end))


def smooth(turns: Iterable[Turn], *, min_turn: float = 0.3, max_gap: float = 0.3) -> list[Turn]:
    """Remove short speaker flips and fill small same-speaker gaps.

    - same-speaker turns closer than `max_gap` are joined;
    - a turn shorter than `min_turn` that lies inside another speaker's turn is dropped
      (a flicker of the model, not a line anyone could dub);
    - one that touches (within `max_gap`) a longer turn of another speaker is given to the
      longest such neighbour (A-B-A flips become A);
    - an isolated short turn is kept: a lone "yes" is real speech.
    Vectorised per short turn, so an episode with thousands of turns stays fast.
    """
    items = _merge_same_speaker(list(turns), max_gap)
    if not items:
        return []
    starts = np.array([t.start for t in items])
    ends = np.array([t.end for t in items])
    durations = ends - starts
    speakers = np.array([t.speaker for t in items], dtype=object)
    out: list[Turn] = []
    for t in items:
        if t.duration >= min_turn:
            out.append(t)
            continue
        other = speakers != t.speaker
        if np.any(other & (starts <= t.start) & (ends >= t.end)):
            continue
        near = other & (durations >= min_turn) & (starts - max_gap <= t.end) & (ends + max_gap >= t.start)
        if near.any():
            host = np.flatnonzero(near)[np.argmax(durations[near])]
            out.append(Turn(t.start, t.end, str(speakers[host])))
        else:
            out.append(t)
    return _merge_same_speaker(out, max_gap)


def write_rttm(turns: Iterable[Turn], path: str | Path, uri: str = "audio") -> Path:
    """Standard RTTM: `SPEAKER <uri> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    uri = uri.replace(" ", "_") or "audio"
    lines = [f"SPEAKER {uri} 1 {t.start:.3f} {t.duration:.3f} <NA> <NA> {t.speaker} <NA> <NA>\n"
             for t in sorted(turns, key=lambda t: (t.start, t.end))]
    tmp = path.with_name(path.name + ".part")
    tmp.write_text("".join(lines), encoding="utf-8")
    tmp.replace(path)
    return path


def read_rttm(path: str | Path) -> dict[str, list[Turn]]:
    """uri -> turns, for every file an RTTM describes (one RTTM may hold several)."""
    out: dict[str, list[Turn]] = defaultdict(list)
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split()
        if not fields or fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise MediaError(f"{Path(path).name}:{n}: malformed RTTM line")
        start, duration = float(fields[3]), float(fields[4])
        out[fields[1]].append(Turn(start, start + duration, fields[7]))
    return dict(out)


def to_annotation(turns: Iterable[Turn], uri: str = "audio"):
    """pyannote.core Annotation (for metrics)."""
    from pyannote.core import Annotation, Segment

    ann = Annotation(uri=uri)
    for i, t in enumerate(turns):
        ann[Segment(t.start, t.end), i] = t.speaker
    return ann
