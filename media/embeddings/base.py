"""Speaker embeddings: the dataclass, cosine, and the engine base the three models share.

Every vector carries the id and dimension of the model that made it: vectors of different
models live in unrelated spaces, so comparing them is refused rather than quietly wrong.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import InvalidMediaError, MediaError
from ..vad import SAMPLE_RATE, Source, load_mono_16k

__all__ = ["Embedding", "EmbeddingMismatch", "cosine", "EmbeddingEngine", "file_tag"]


class EmbeddingMismatch(MediaError):
    """Two embeddings of different models (or dimensions) were compared."""


@dataclass(frozen=True)
class Embedding:
    vector: np.ndarray  # unit-length float32, shape (dim,)
    model_id: str
    dim: int

    def as_dict(self) -> dict:
        return {"model_id": self.model_id, "dim": self.dim, "vector": [round(float(v), 6) for v in self.vector]}

    @classmethod
    def from_dict(cls, data: dict) -> "Embedding":
        vector = np.asarray(data["vector"], dtype=np.float32)
        if vector.shape != (int(data["dim"]),):
            raise MediaError(f"embedding has {vector.size} values, its dim says {data['dim']}")
        return cls(vector, str(data["model_id"]), int(data["dim"]))


def cosine(a: Embedding, b: Embedding) -> float:
    """Cosine similarity in [-1, 1]; raises EmbeddingMismatch across models."""
    if a.model_id != b.model_id or a.dim != b.dim:
        raise EmbeddingMismatch(
            f"cannot compare embeddings of different models ({a.model_id}/{a.dim} vs {b.model_id}/{b.dim})")
    na, nb = float(np.linalg.norm(a.vector)), float(np.linalg.norm(b.vector))
    if na == 0 or nb == 0:
        raise MediaError("cannot compare a zero embedding")
    return float(np.dot(a.vector, b.vector) / (na * nb))


def file_tag(path: Path, n: int = 10) -> str:
    """Short content hash of a weights file: two different checkpoints never share a model id."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()[:n]


def _normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rows / norms).astype(np.float32)


class EmbeddingEngine:
    """Subclasses set `name`, implement `availability`, `model_id`, `dim` and `_vectors`.

    `_vectors(list of 16 kHz mono arrays) -> (n, dim)` is the model call; the base adds input
    checks, unit length, and NaN rows for clips too short to embed (what pyannote's
    clustering expects for unusable chunks)."""

    name = "base"
    min_seconds = 0.5  # shorter speech carries too little of a voice to identify it
    max_seconds = 60.0  # longer clips are embedded in pieces and averaged

    def availability(self) -> tuple[bool, str]:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def model_id(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def dim(self) -> int:  # pragma: no cover - overridden
        raise NotImplementedError

    def _vectors(self, clips: list[np.ndarray]) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def min_samples(self) -> int:
        return int(self.min_seconds * SAMPLE_RATE)

    def embed(self, source: Source, sample_rate: int | None = None) -> Embedding:
        """One embedding for a whole clip (path or array) of one speaker."""
        samples = load_mono_16k(source, sample_rate)
        seconds = len(samples) / SAMPLE_RATE
        if seconds < self.min_seconds:
            raise InvalidMediaError(
                f"too short for a speaker embedding ({seconds:.2f} s < {self.min_seconds:.2f} s)")
        if float(np.max(np.abs(samples))) < 1e-4:
            raise InvalidMediaError("silent audio: no voice to embed")
        if seconds > self.max_seconds:
            # long clips: mean of unit vectors over 30 s pieces (memory grows with input length)
            piece = 30 * SAMPLE_RATE
            rows = self.embed_many([samples[i: i + piece] for i in range(0, len(samples), piece)])
            rows = rows[np.all(np.isfinite(rows), axis=1)]
            vector = _normalise(rows.mean(axis=0, keepdims=True))[0] if len(rows) else rows.mean(axis=0)
        else:
            vector = self.embed_many([samples])[0]
        if not np.all(np.isfinite(vector)):
            raise InvalidMediaError("no usable speech in the clip for a speaker embedding")
        return Embedding(vector, self.model_id, self.dim)

    def embed_many(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """(n, dim) unit vectors for 16 kHz mono clips; NaN rows where a clip is too short
        or silent."""
        out = np.full((len(clips), self.dim), np.nan, dtype=np.float32)
        usable = [i for i, c in enumerate(clips) if len(c) >= self.min_samples and np.max(np.abs(c)) >= 1e-4]
        if usable:
            out[usable] = _normalise(np.asarray(self._vectors([np.asarray(clips[i], np.float32) for i in usable])))
        return out
