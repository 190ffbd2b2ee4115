"""A job's voice refs at rest: encrypted in job storage, plaintext only in the job's work
folder while a stage uses them (and removed right after).

Refs keep their logical names in stage outputs (`analysis/voice_refs/S1.wav`); what storage
holds is `<name>.fernet`. The workspace object is passed in (jobs.artifacts.Workspace), so
this module does not import `jobs`.
"""
from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Iterator

from django.core.files.storage import default_storage

from . import crypto

__all__ = ["SUFFIX", "store_job_ref", "job_ref_local", "job_ref_bytes", "stored_name", "forget_job_refs"]

SUFFIX = ".fernet"
PLAIN_FOLDER = "work/voice"  # where decrypted copies live while a stage needs them


def stored_name(rel: str) -> str:
    return rel + SUFFIX


def store_job_ref(workspace, rel: str) -> str:
    """Encrypt the workspace file `rel`, publish the token as `rel.fernet`, and delete the
    plaintext. Raises crypto.EncryptionUnavailable (the plaintext is deleted all the same)."""
    plain = workspace.path(rel)
    try:
        token = crypto.encrypt(plain.read_bytes())
        workspace.path(stored_name(rel)).write_bytes(token)
        return workspace.publish(stored_name(rel))
    finally:
        plain.unlink(missing_ok=True)


def job_ref_bytes(workspace, rel: str) -> bytes:
    """The plaintext WAV of a job ref. Storage is read first (it is what key rotation rewrites;
    a work folder's copy may predate a rotation), the work folder when storage lacks it."""
    name = f"jobs/{workspace.job_id}/{stored_name(rel)}"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as fh:
            return crypto.decrypt(fh.read())
    return crypto.decrypt(workspace.ensure_local(stored_name(rel)).read_bytes())


@contextlib.contextmanager
def job_ref_local(workspace, rel: str) -> Iterator[Path]:
    """A decrypted copy of the job ref for the duration of the `with` block."""
    target = workspace.path(f"{PLAIN_FOLDER}/{uuid.uuid4().hex}{Path(rel).suffix}")
    try:
        target.write_bytes(job_ref_bytes(workspace, rel))
        yield target
    finally:
        target.unlink(missing_ok=True)


def forget_job_refs(job_id: int, folder: str = "analysis/voice_refs") -> int:
    """Delete a job's encrypted refs from storage (privacy mode: no voice data beyond the job).
    The refs manifest (durations, no audio) stays. Returns how many files went."""
    from dubsite.storage import delete_names, walk

    names = [n for n in walk(f"jobs/{job_id}/{folder}") if n.endswith(SUFFIX)]
    return delete_names(names)[0] if names else 0
