"""Quality metrics: WER, DER, speaker-embedding cosine, timing fit, VAD overlap.

DER collar convention: pyannote.metrics centres a window of `collar` seconds on every
reference boundary (±collar/2) and excludes it from scoring. `der(..., collar=0.25)` therefore
forgives ±0.125 s around each boundary. NIST md-eval's `-c 0.25` means ±0.25 s, which is
pyannote `collar=0.5`.

(Loudness lives in media/loudness.py.)
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from .diarization.types import Turn, to_annotation
from .embeddings import Embedding, cosine
from .errors import MediaError

__all__ = ["normalize_text", "wer", "DerResult", "der", "embedding_cosine", "TimingFit", "timing_fit",
           "VadOverlap", "vad_overlap"]


def normalize_text(text: str) -> str:
    """Lowercase, punctuation removed (any Unicode P* character; apostrophes inside words
    kept so "don't" stays one word), whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(?<=\w)['’](?=\w)", "\u0000", text)  # protect in-word apostrophes
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    return " ".join(text.replace("\u0000", "'").split())


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after normalisation. An empty reference scores 0 for an empty
    hypothesis and 1 otherwise (jiwer refuses an empty reference)."""
    import jiwer

    ref, hyp = normalize_text(reference), normalize_text(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return float(jiwer.wer(ref, hyp if hyp else ""))


@dataclass(frozen=True)
class DerResult:
    der: float
    missed: float  # seconds
    false_alarm: float
    confusion: float
    total: float  # scored reference speech, seconds

    def as_dict(self) -> dict:
        return {k: round(v, 4) for k, v in self.__dict__.items()}


def der(reference: Iterable[Turn], hypothesis: Iterable[Turn], *, collar: float = 0.25,
        skip_overlap: bool = False, uri: str = "audio") -> DerResult:
    """Diarization error rate with pyannote.metrics (optimal speaker mapping); `collar` in
    pyannote's convention (total width, see module doc)."""
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = list(reference), list(hypothesis)
    if not ref:
        raise MediaError("DER needs a reference with at least one turn")
    metric = DiarizationErrorRate(collar=collar, skip_overlap=skip_overlap)
    d = metric(to_annotation(ref, uri), to_annotation(hyp, uri), detailed=True)
    total = float(d["total"])
    return DerResult(float(d["diarization error rate"]), float(d["missed detection"]), float(d["false alarm"]),
                     float(d["confusion"]), total)


def der_by_region(reference: Iterable[Turn], hypothesis: Iterable[Turn], regions: Sequence[tuple[float, float]],
                  *, collar: float = 0.25, uri: str = "audio") -> list[DerResult]:
    """DER of each region of one diarization, under the one speaker mapping that is optimal for
    the whole: how an episode scored on each of the recordings it is made of, comparable with
    those recordings diarized one by one (a region-by-region mapping would forgive a person
    split or merged across regions, which is exactly what an episode must get right)."""
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate
    from pyannote.metrics.identification import IdentificationErrorRate

    ref, hyp = list(reference), list(hypothesis)
    if not ref:
        raise MediaError("DER needs a reference with at least one turn")
    ref_ann, hyp_ann = to_annotation(ref, uri), to_annotation(hyp, uri)
    mapped = hyp_ann.rename_labels(mapping=DiarizationErrorRate(collar=collar).optimal_mapping(ref_ann, hyp_ann))
    out = []
    for start, end in regions:
        d = IdentificationErrorRate(collar=collar)(ref_ann, mapped, uem=Timeline([Segment(start, end)]), detailed=True)
        total = float(d["total"])
        out.append(DerResult(float(d["identification error rate"]), float(d["missed detection"]),
                             float(d["false alarm"]), float(d["confusion"]), total))
    return out


def embedding_cosine(a: Embedding, b: Embedding) -> float:
    """Cosine similarity of two embeddings of the same model (raises across models)."""
    return cosine(a, b)


@dataclass(frozen=True)
class TimingFit:
    lines: int
    overruns: int  # lines whose audio is longer than their slot (beyond the tolerance)
    overrun_ratio: float
    max_overrun: float  # seconds
    total_overrun: float  # seconds
    mean_fill: float  # mean audio/slot ratio (1.0 = exactly fills its slot)

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def timing_fit(pairs: Sequence[tuple[float, float]], *, tolerance: float = 0.0) -> TimingFit:
    """Summarise how synthesized lines fit their slots: `pairs` are (slot seconds, audio
    seconds); a line overruns when audio > slot * (1 + tolerance)."""
    if not pairs:
        return TimingFit(0, 0, 0.0, 0.0, 0.0, 0.0)
    overs, fills = [], []
    for slot, actual in pairs:
        if slot <= 0:
            raise MediaError(f"slot duration must be positive, got {slot}")
        fills.append(actual / slot)
        over = actual - slot
        if actual > slot * (1 + tolerance):
            overs.append(over)
    return TimingFit(len(pairs), len(overs), len(overs) / len(pairs), max(overs, default=0.0), sum(overs),
                     sum(fills) / len(fills))


@dataclass(frozen=True)
class VadOverlap:
    coverage: float  # share of the reference's speech during which the other file also speaks
    iou: float  # intersection over union of the two speech timelines
    reference_speech: float  # seconds
    other_speech: float

    def as_dict(self) -> dict:
        return {k: round(v, 4) for k, v in self.__dict__.items()}


def vad_overlap(reference: str | Path, other: str | Path, *, engine: str | None = None) -> VadOverlap:
    """VAD both files and compare the speech timelines, e.g. original dialogue vs the dub:
    low coverage means lines are missing or badly placed."""
    from . import vad

    a = vad.detect(reference, engine=engine)
    b = vad.detect(other, engine=engine)
    return VadOverlap(vad.coverage(a, b), vad.iou(a, b), vad.total(a), vad.total(b))
