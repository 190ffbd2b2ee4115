"""Speaker diarization: who speaks when.

Engines, in preference order:
1. `pyannote`          full pyannote.audio pipeline from MODELS_DIR/pyannote/diarization
2. `pyannote-offline`  segmentation-3.0 (install-bundled) + our best embedding engine
3. `vad-clustering`    VAD regions + sliding-window embeddings + agglomerative clustering

    d = diarize("dialogue.wav", min_speakers=1, max_speakers=8)
    d.turns -> [Turn(start, end, "SPEAKER_00"), ...]; d.engine; d.num_speakers
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..engine import Registry
from ..errors import InvalidMediaError, MediaError
from ..vad import SAMPLE_RATE, Source, load_mono_16k
from .fallback import WindowClustering
from .pyannote_engines import PyannoteFull, PyannoteOffline
from .types import Diarization, Turn, read_rttm, relabel, smooth, to_annotation, write_rttm

__all__ = ["Turn", "Diarization", "registry", "diarize", "read_rttm", "write_rttm", "smooth", "relabel",
           "to_annotation", "PyannoteFull", "PyannoteOffline", "WindowClustering", "MIN_SECONDS"]

MIN_SECONDS = 0.5  # below this there is no turn to find, let alone a speaker to tell apart


def registry(embedding: str | None = None) -> Registry:
    """`embedding` picks the embedding engine the offline and fallback engines use."""
    return Registry("diarization", [PyannoteFull(), PyannoteOffline(embedding), WindowClustering(embedding)])


def _check_bounds(min_speakers, max_speakers, num_speakers) -> None:
    for name, value in (("min_speakers", min_speakers), ("max_speakers", max_speakers),
                        ("num_speakers", num_speakers)):
        if value is not None and int(value) < 1:
            raise MediaError(f"{name} must be at least 1, not {value}")
    if min_speakers and max_speakers and min_speakers > max_speakers:
        raise MediaError(f"min_speakers ({min_speakers}) is larger than max_speakers ({max_speakers})")


def diarize(source: Source, sample_rate: int | None = None, *, engine: str | None = None,
            embedding: str | None = None, min_speakers: int | None = None, max_speakers: int | None = None,
            num_speakers: int | None = None, smoothing: bool = True, progress=None) -> Diarization:
    """Diarize a file (or a mono array with its rate). Raises InvalidMediaError for unusable
    input; silent audio gives a Diarization with no turns. `progress(fraction)`, when given,
    follows the engine's steps."""
    _check_bounds(min_speakers, max_speakers, num_speakers)
    samples = load_mono_16k(source, sample_rate)
    seconds = len(samples) / SAMPLE_RATE
    if seconds < MIN_SECONDS:
        raise InvalidMediaError(f"too short to diarize ({seconds:.2f} s < {MIN_SECONDS} s)")
    uri = Path(source).stem if isinstance(source, (str, Path)) else "audio"
    reg = registry(embedding)
    if engine:  # a named engine runs alone: asking for one and silently getting another misleads
        reg = Registry(reg.stage, [reg.get(engine)])
    if float(np.max(np.abs(samples))) < 1e-4:  # digital silence: nobody speaks; no model needed
        chosen = reg.select()
        return Diarization([], chosen.name, 0, ["silent input", chosen.describe()])
    (turns, info), selection = reg.run(
        lambda e: e.diarize(samples, uri=uri, min_speakers=min_speakers, max_speakers=max_speakers,
                            num_speakers=num_speakers, progress=progress))
    turns = [Turn(max(0.0, t.start), min(seconds, t.end), t.speaker) for t in turns if t.end > t.start]
    if smoothing:
        turns = smooth(turns)
    turns = relabel(turns)
    return Diarization(turns, selection.name, len({t.speaker for t in turns}), [selection.describe(), info])
