"""What review's takes and line audio need from a job, handed over as plain values and callables
(review does not import jobs or voices): the job's language and speed cap, a decrypted copy of
the ref a cloned line speaks with, and the storage names of the job's audio."""
from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Iterator

from django.core.files.storage import default_storage

from review.line_voice import LineVoice
from review.models import Segment
from review.takes import JobVoicing
from voices.crypto import EncryptionUnavailable, InvalidToken
from voices.jobrefs import PLAIN_FOLDER, job_ref_bytes
from voices.services import refs_allowed, voice_ref_latest, voice_ref_read

from .artifacts import Workspace, storage_name
from .modes import resolve_mode
from .models import Job

__all__ = ["job_voicing", "job_audio_names"]

UNREADABLE = (EncryptionUnavailable, InvalidToken, FileNotFoundError)


def job_voicing(job: Job) -> JobVoicing:
    workspace = Workspace(job.pk)
    cap = resolve_mode(job.mode, job.episode.season.series.source_language).tts_speed_cap

    @contextlib.contextmanager
    def open_ref(segment: Segment, voice: LineVoice) -> Iterator[Path | None]:
        """The job's ref (or the character's series ref) decrypted into the job's work folder,
        removed when the take is spoken; None when the line does not clone or the ref is unreadable."""
        if not voice.clone:
            yield None
            return
        try:
            if voice.ref:
                data = job_ref_bytes(workspace, voice.ref)
            else:
                # a series ref only where the series keeps voice data (privacy mode: none), as pass 2
                ref = (voice_ref_latest(segment.character)
                       if segment.character_id and refs_allowed(job.episode.season.series)[0] else None)
                data = voice_ref_read(ref) if ref is not None else None
        except UNREADABLE:
            data = None
        if data is None:
            yield None
            return
        path = workspace.path(f"{PLAIN_FOLDER}/{uuid.uuid4().hex}.wav")
        try:
            path.write_bytes(data)
            yield path
        finally:
            path.unlink(missing_ok=True)

    return JobVoicing(job_id=job.pk, language=job.target_language, speed_cap=cap, open_ref=open_ref)


def job_audio_names(job: Job) -> dict[str, str | None]:
    """Storage names of the job's source audio (full-rate stereo when kept, else the 16 kHz analysis
    copy) and of its final mix; None for what storage lacks."""
    original = None
    for rel in ("audio_stereo.wav", "audio.wav"):
        name = storage_name(job.pk, rel)
        if default_storage.exists(name):
            original = name
            break
    mix = job.outputs.get("mix")
    mix_name = storage_name(job.pk, mix) if mix else None
    return {"original": original, "mix": mix_name if mix_name and default_storage.exists(mix_name) else None}
