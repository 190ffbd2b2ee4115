"""Voice data upkeep beyond series refs: key rotation for every encrypted kind, and encrypting
refs that jobs stored as plain WAV before job refs were encrypted at rest.

Rotation must reach all of it (series refs, job refs in job storage, embedding means and
snapshots, merge records): an old key may be dropped only when nothing needs it any more.
"""
from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from dubsite import audit
from dubsite.storage import walk

from . import crypto
from .jobrefs import SUFFIX
from .models import CharacterEmbedding, CharacterMerge, EmbeddingSnapshot
from .services import voice_refs_rotate

__all__ = ["rotate_all", "encrypt_legacy_job_refs", "job_ref_names"]

JOBS = "jobs"
REFS = "analysis/voice_refs"


def job_ref_names(*, encrypted: bool) -> list[str]:
    """Storage names of jobs' refs: the encrypted tokens, or WAVs left in plaintext."""
    try:
        job_dirs, _ = default_storage.listdir(JOBS)
    except FileNotFoundError:
        return []
    names = []
    for job in job_dirs:
        for name in walk(f"{JOBS}/{job}/{REFS}"):
            if name.endswith(SUFFIX) if encrypted else name.endswith(".wav"):
                names.append(name)
    return names


def _rotate_rows(model, field: str) -> int:
    count = 0
    for row in model.objects.exclude(**{f"{field}__isnull": True}).only("pk", field).iterator():
        token = getattr(row, field)
        if token:
            model.objects.filter(pk=row.pk).update(**{field: crypto.rotate(bytes(token))})
            count += 1
    return count


def rotate_all(*, actor=None, context=None) -> dict[str, int]:
    """Re-encrypt every kind of voice data with the newest key. Each item is rewritten whole
    (new token, then the old one goes), so a crash midway loses nothing: rerun it."""
    counts = {"series refs": voice_refs_rotate(actor=actor, context=context)}
    jobs = 0
    for name in job_ref_names(encrypted=True):
        with default_storage.open(name, "rb") as fh:
            token = crypto.rotate(fh.read())
        default_storage.delete(name)
        default_storage.save(name, ContentFile(token))
        jobs += 1
    counts["job refs"] = jobs
    with transaction.atomic():
        counts["embedding means"] = _rotate_rows(CharacterEmbedding, "blob")
        counts["embedding snapshots"] = _rotate_rows(EmbeddingSnapshot, "blob")
        counts["merge records"] = _rotate_rows(CharacterMerge, "target_embeddings")
        audit.record(actor, "voice_data.rotate_keys", None, target_type="voices", new=counts, context=context)
    return counts


def encrypt_legacy_job_refs(*, actor=None, context=None) -> int:
    """Plain WAV refs of jobs from before encryption at rest → `<name>.fernet`, plaintext deleted."""
    count = 0
    for name in job_ref_names(encrypted=False):
        with default_storage.open(name, "rb") as fh:
            token = crypto.encrypt(fh.read())
        target = name + SUFFIX
        if default_storage.exists(target):
            default_storage.delete(target)
        default_storage.save(target, ContentFile(token))
        default_storage.delete(name)
        count += 1
    if count:
        with transaction.atomic():
            audit.record(actor, "voice_data.encrypt_legacy_refs", None, target_type="voices",
                         new={"job refs": count}, context=context)
    return count
