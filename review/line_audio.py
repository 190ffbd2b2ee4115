"""A line's audio for the review page: its take, the original slice it dubs, and its current dub.

Every file is named by a row (a take's `audio`, the line's voice plan clip) or by the job's storage
layout (passed in by the caller), never by the request, and read through Django storage, so no
request can reach another file. Slices are read frame-exactly with soundfile (a seek, not a decode
of the whole episode) and returned as small WAVs.
"""
from __future__ import annotations

import io

import soundfile as sf
from django.core.files.storage import default_storage

from dubsite.errors import NotFound
from dubsite.roles import require

from .models import Segment, Take
from .takes import take_get

__all__ = ["read_stored", "slice_stored", "take_audio", "line_original", "line_dub"]

MAX_SLICE = 120.0  # seconds: a line is a sentence, this bounds what one request reads


def read_stored(name: str) -> bytes:
    if not name or not default_storage.exists(name):
        raise NotFound("the audio file is no longer in storage")
    with default_storage.open(name, "rb") as fh:
        return fh.read()


def slice_stored(name: str | None, start: float, end: float) -> bytes:
    """[start, end) seconds of a stored WAV as a WAV of the same rate and channels."""
    if not name or not default_storage.exists(name):
        raise NotFound("the job's audio is not in storage (the job has not extracted it, or it was deleted)")
    start = max(float(start), 0.0)
    end = min(max(float(end), start), start + MAX_SLICE)
    with default_storage.open(name, "rb") as fh, sf.SoundFile(fh) as wav:
        first = min(int(round(start * wav.samplerate)), wav.frames)
        count = max(min(int(round(end * wav.samplerate)), wav.frames) - first, 0)
        wav.seek(first)
        frames = wav.read(count, dtype="float32", always_2d=True)
        rate = wav.samplerate
    if frames.shape[1] == 1:
        frames = frames[:, 0]
    buffer = io.BytesIO()
    sf.write(buffer, frames, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def take_audio(*, user, segment: Segment, number: int) -> bytes:
    return read_stored(take_get(user=user, segment=segment, number=number).audio)


def line_original(*, user, segment: Segment, source_name: str | None) -> bytes:
    require(user, "review.view_segment", segment)
    return slice_stored(source_name, segment.start, segment.end)


def line_dub(*, user, segment: Segment, mix_name: str | None) -> tuple[bytes, str]:
    """(WAV, what it is): the chosen take, else the clip the pass made for the line (its voice plan),
    else the line's slot cut from the job's final mix."""
    require(user, "review.view_segment", segment)
    chosen = Take.objects.filter(segment=segment, chosen=True).first()
    if chosen is not None and default_storage.exists(chosen.audio):
        return read_stored(chosen.audio), f"take {chosen.number}"
    clip = (segment.voice_plan or {}).get("clip")
    if clip and _inside_job(clip, segment.job_id) and default_storage.exists(clip):
        return read_stored(clip), "pass clip"
    if mix_name:
        return slice_stored(mix_name, segment.start, segment.end), "final mix"
    raise NotFound(f"line {segment.pk} has no dub yet (no take chosen, no clip, no final mix)")


def _inside_job(name: str, job_id: int) -> bool:
    """A voice plan names a clip of the line's own job, nothing else (defence in depth: rows are
    written by the pipeline, but a bad row must not serve another job's or a private file)."""
    parts = name.split("/")
    return (len(parts) > 3 and parts[:2] == ["jobs", str(job_id)] and ".." not in parts
            and parts[2] not in ("work", "analysis") and not name.endswith(".fernet"))

