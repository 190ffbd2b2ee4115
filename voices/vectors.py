"""Characters' speaker embeddings at rest: encrypted float32 vectors, a running mean per model.

The mean of a character is always the normalised mean of its episode snapshots of that model
(`rebuild_mean`), so a merge, an undo or a reassignment recomputes it exactly instead of
trying to subtract from a running sum.
"""
from __future__ import annotations

import json

import numpy as np
from django.db import transaction

from media.embeddings import Embedding

from . import crypto
from .models import CharacterEmbedding, EmbeddingSnapshot

__all__ = ["seal", "unseal", "character_embeddings", "rebuild_mean", "add_snapshot", "dump_rows", "restore_rows"]


def seal(vector: np.ndarray) -> bytes:
    return crypto.encrypt(np.asarray(vector, dtype="<f4").tobytes())


def unseal(blob, dim: int) -> np.ndarray:
    vector = np.frombuffer(crypto.decrypt(bytes(blob)), dtype="<f4")
    if vector.shape != (dim,):
        raise ValueError(f"stored embedding has {vector.size} values, its row says {dim}")
    return vector.astype(np.float32)


def character_embeddings(character_ids, model_id: str) -> dict[int, tuple[Embedding, int]]:
    """{character id: (mean embedding, episode count)} in one model's space."""
    rows = CharacterEmbedding.objects.filter(character_id__in=list(character_ids), model_id=model_id)
    return {r.character_id: (Embedding(unseal(r.blob, r.dim), r.model_id, r.dim), r.count) for r in rows}


def rebuild_mean(character_id: int, model_id: str | None = None) -> None:
    """Recompute the character's mean(s) from its snapshots; no snapshot → no mean row."""
    with transaction.atomic():
        snaps = EmbeddingSnapshot.objects.filter(character_id=character_id)
        models = [model_id] if model_id else list(snaps.values_list("model_id", flat=True).distinct())
        if model_id is None:
            CharacterEmbedding.objects.filter(character_id=character_id).exclude(model_id__in=models).delete()
        for mid in models:
            rows = list(snaps.filter(model_id=mid))
            if not rows:
                CharacterEmbedding.objects.filter(character_id=character_id, model_id=mid).delete()
                continue
            dim = rows[0].dim
            mean = np.mean([unseal(r.blob, r.dim) for r in rows if r.dim == dim], axis=0)
            mean = mean / max(float(np.linalg.norm(mean)), 1e-9)
            CharacterEmbedding.objects.update_or_create(character_id=character_id, model_id=mid,
                                                        defaults={"dim": dim, "blob": seal(mean), "count": len(rows)})


def add_snapshot(*, character_id: int, episode_id: int, job_id: int, label: str, embedding: Embedding,
                 seconds: float) -> EmbeddingSnapshot:
    """Keep this episode's embedding of the character (replacing the label's earlier one from a
    rerun of the same job) and update the character's mean."""
    with transaction.atomic():
        snap, _ = EmbeddingSnapshot.objects.update_or_create(
            job_id=job_id, label=label, model_id=embedding.model_id,
            defaults={"character_id": character_id, "episode_id": episode_id, "dim": embedding.dim,
                      "blob": seal(embedding.vector), "seconds": round(float(seconds), 3)})
        rebuild_mean(character_id, embedding.model_id)
    return snap


def dump_rows(character_id: int) -> bytes | None:
    """The character's mean rows, encrypted (a merge keeps them so that undo restores them)."""
    rows = [{"model_id": r.model_id, "dim": r.dim, "count": r.count, "blob": bytes(r.blob).decode("ascii")}
            for r in CharacterEmbedding.objects.filter(character_id=character_id)]
    return crypto.encrypt(json.dumps(rows).encode()) if rows else None


def restore_rows(character_id: int, token) -> None:
    """Put back exactly the mean rows `dump_rows` saved (none when token is None)."""
    with transaction.atomic():
        CharacterEmbedding.objects.filter(character_id=character_id).delete()
        if token:
            for row in json.loads(crypto.decrypt(bytes(token))):
                CharacterEmbedding.objects.create(character_id=character_id, model_id=row["model_id"], dim=row["dim"],
                                                  count=row["count"], blob=row["blob"].encode("ascii"))
