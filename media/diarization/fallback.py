"""Last-resort diarization: VAD regions → sliding-window speaker embeddings → agglomerative
clustering. No segmentation model, so no overlap handling; it exists so that a machine
without the segmentation weights still gets usable speaker turns."""
from __future__ import annotations

import numpy as np

from ..embeddings import EmbeddingEngine
from ..errors import EngineUnavailable
from ..vad import SAMPLE_RATE
from ..vad import registry as vad_registry
from .types import Turn

__all__ = ["WindowClustering", "THRESHOLDS"]

# Cosine-distance cut on average linkage of window embeddings, per embedding model
# (chosen on sample.wav, checked on trn07/trn08; ecapa untuned, see pyannote_engines).
THRESHOLDS = {"campplus": 0.6, "resemblyzer": 0.3, "ecapa": 0.7}


def _windows(regions, duration: float, win: float, hop: float) -> list[tuple[float, float]]:
    out = []
    for r in regions:
        if r.duration <= win:
            out.append((r.start, r.end))
            continue
        t = r.start
        while t + win < r.end:
            out.append((t, t + win))
            t += hop
        out.append((max(r.start, r.end - win), r.end))
    return [(a, min(b, duration)) for a, b in out if b > a]


def _cluster(vectors: np.ndarray, threshold: float, min_k: int | None, max_k: int | None,
             min_size: int = 3) -> np.ndarray:
    """Average-linkage clusters cut at `threshold`; clusters of fewer than `min_size` windows
    (about 2 s of speech) join the nearest large cluster: one odd window is not a new person."""
    from scipy.cluster.hierarchy import fcluster, linkage

    n = len(vectors)
    if n == 1:
        return np.zeros(1, dtype=int)
    tree = linkage(vectors, method="average", metric="cosine")
    labels = fcluster(tree, threshold, criterion="distance")
    ids, counts = np.unique(labels, return_counts=True)
    large = ids[counts >= min(min_size, n)]
    k = len(large)
    target = None
    if min_k and k < min_k:
        target = min_k
    elif max_k and k > max_k:
        target = max_k
    if target:
        labels = fcluster(tree, min(target, n), criterion="maxclust")
        ids, large = np.unique(labels), np.unique(labels)
    if 0 < len(large) < len(ids):
        centroids = np.stack([vectors[labels == c].mean(axis=0) for c in large])
        centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
        for c in set(ids) - set(large):
            members = labels == c
            labels[members] = large[np.argmax(vectors[members].mean(axis=0) @ centroids.T)]
    return np.unique(labels, return_inverse=True)[1]


class WindowClustering:
    name = "vad-clustering"

    def __init__(self, embedding: str | None = None, window: float = 1.5, hop: float = 0.75,
                 threshold: float | None = None):
        self.embedding_name, self.window, self.hop, self.threshold = embedding, window, hop, threshold

    def _engine(self) -> EmbeddingEngine:
        from .pyannote_engines import pick_embedding

        return pick_embedding(self.embedding_name)

    def availability(self) -> tuple[bool, str]:
        try:
            engine = self._engine()
        except EngineUnavailable as exc:
            return False, str(exc)
        return True, f"VAD + {engine.name} window embeddings + clustering"

    def diarize(self, samples: np.ndarray, *, uri: str = "audio", min_speakers=None, max_speakers=None,
                num_speakers=None, progress=None) -> tuple[list[Turn], str]:
        """`progress` is accepted for the common interface; this engine is fast and reports none."""
        engine = self._engine()
        regions, vad_sel = vad_registry().run(lambda e: e.detect(samples, SAMPLE_RATE))
        duration = len(samples) / SAMPLE_RATE
        windows = [w for w in _windows(regions, duration, self.window, self.hop)
                   if w[1] - w[0] >= engine.min_seconds]
        info = f"vad={vad_sel.name} embeddings={engine.model_id}"
        if not windows:
            return [], info
        clips = [samples[int(a * SAMPLE_RATE): int(b * SAMPLE_RATE)] for a, b in windows]
        vectors = engine.embed_many(clips)
        keep = np.all(np.isfinite(vectors), axis=1)
        windows = [w for w, k in zip(windows, keep) if k]
        if not windows:
            return [], info
        threshold = self.threshold or THRESHOLDS.get(engine.name, THRESHOLDS["ecapa"])
        labels = _cluster(vectors[keep], threshold, num_speakers or min_speakers, num_speakers or max_speakers)
        return _assign(regions, windows, labels), info + f" threshold={threshold}"


def _assign(regions, windows, labels) -> list[Turn]:
    """Give each 10 ms frame inside a VAD region the label of the window whose centre is
    nearest, then read turns off the frame labels."""
    step = 0.01
    centres = np.array([(a + b) / 2 for a, b in windows])
    turns: list[Turn] = []
    for r in regions:
        times = np.arange(r.start, r.end, step) + step / 2
        if len(times) == 0:
            continue
        nearest = labels[np.abs(times[:, None] - centres[None, :]).argmin(axis=1)]
        start = 0
        for i in range(1, len(times) + 1):
            if i == len(times) or nearest[i] != nearest[start]:
                end_t = r.end if i == len(times) else r.start + i * step
                turns.append(Turn(r.start + start * step, end_t, f"S{nearest[start]}"))
                start = i
    return turns
