"""Speaker embeddings: ECAPA (MODELS_DIR) → CAM++ (install-bundled) → resemblyzer (bundled).

    emb = embed(samples_16k)            # Embedding(vector, model_id, dim)
    cosine(emb_a, emb_b)                # raises EmbeddingMismatch across models
"""
from __future__ import annotations

from ..engine import Registry
from ..vad import Source
from .base import Embedding, EmbeddingEngine, EmbeddingMismatch, cosine
from .campplus import CamPlusPlus
from .ecapa import Ecapa
from .resemblyzer_engine import Resemblyzer

__all__ = ["Embedding", "EmbeddingEngine", "EmbeddingMismatch", "cosine", "registry", "embed",
           "Ecapa", "CamPlusPlus", "Resemblyzer"]


def registry() -> Registry:
    return Registry("embeddings", [Ecapa(), CamPlusPlus(), Resemblyzer()])


def embed(source: Source, sample_rate: int | None = None, *, engine: str | None = None) -> Embedding:
    """Embedding of one speaker's clip (path, or array with its sample rate), by the preferred
    available engine, or by the named engine only (its unavailability is then the error)."""
    reg = registry()
    if engine:
        reg = Registry(reg.stage, [reg.get(engine)])
    result, _ = reg.run(lambda e: e.embed(source, sample_rate))
    return result
