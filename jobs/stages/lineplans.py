"""Each spoken line's fitted clip and voice plan (review.Segment.voice_plan): what a pass keeps so
that one line can be spoken again exactly as the pass spoke it, and so that a later
"Synthesize approved" pass re-speaks only the lines whose text, voice or timing changed.

The tts stage stores the clips and writes the plans to `tts/pass<N>/voice_plans.json`; mux
writes them onto the lines in the same transaction as the outputs swap, so the plans always
describe the dub the job serves (a pass that fails before mux leaves them as they were).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath

import numpy as np
from django.core.files.storage import default_storage
from django.db import transaction

from media.audio import save
from review.models import Segment

from .base import fingerprint

__all__ = ["clip_key", "clip_rel", "store_clip", "fetch_clip", "make_plan", "write_plans", "apply_plans",
           "ref_name", "segments_of", "RATE"]

RATE = 48000  # the dialogue track's sample rate

def segments_of(job) -> list[Segment]:
    return list(Segment.objects.filter(job_id=job.pk).select_related("character").order_by("index"))


def clip_key(*, text: str, voice: str, source: str, ref: str, clone: bool, start: float, end: float,
             cap: float) -> str:
    """sha256 of what a line's clip is made from: the same key means the same clip."""
    return fingerprint({"text": text, "voice": voice, "source": source, "ref": ref or "", "clone": bool(clone),
                        "start": round(float(start), 3), "end": round(float(end), 3), "cap": round(float(cap), 3)})


def clip_rel(pass_number: int, index: int, key: str) -> str:
    return f"tts/pass{pass_number}/clips/{index}-{key[:12]}.wav"


def store_clip(workspace, rel: str, samples: np.ndarray, sample_rate: int) -> str:
    """Write a fitted clip and copy it into the job's storage; returns its storage name."""
    save(workspace.path(rel), samples, sample_rate)
    return workspace.publish(rel)


def fetch_clip(workspace, name: str) -> Path:
    """A local copy of a clip kept in storage (a pass's clip of this job, or a take)."""
    prefix = f"jobs/{workspace.job_id}/"
    if name.startswith(prefix):
        return workspace.ensure_local(name[len(prefix):])
    # named by the whole storage name: clips of other folders may share a file name
    local = workspace.path(f"work/fetched/{hashlib.sha256(name.encode()).hexdigest()[:16]}"
                           f"{PurePosixPath(name).suffix}")
    with default_storage.open(name, "rb") as src:
        local.write_bytes(src.read())
    return local


def ref_name(refs: dict, opened: dict, label: str) -> str:
    """The stable name of the ref a speaker was cloned from: the job ref's storage-relative name,
    or `series_ref:<pk>` (the decrypted copies the engine reads are gone after the stage)."""
    info = opened.get(label) or {}
    if info.get("series_ref"):
        return f"series_ref:{info['series_ref']}"
    return (refs.get(label) or {}).get("clone_path") or ""


def make_plan(*, character: str, voice: str, source: str, ref: str, clone: bool, engine: str, speed: float,
              clip: str, key: str, pass_number: int, seconds: float | None = None, at: float | None = None) -> dict:
    """`seconds`: the fitted clip's length; `at`: where the clip starts on the timeline (media.placement
    may move it off the line's start). Together: where the dubbed line sounds (QC and the review page)."""
    return {"at": None if at is None else round(float(at), 3), "character": character, "voice": voice,
            "source": source, "ref": ref or "", "clone": bool(clone),
            "engine": engine, "speed": round(float(speed), 4), "clip": clip, "clip_key": key, "pass": pass_number,
            "seconds": None if seconds is None else round(float(seconds), 3)}


def write_plans(workspace, pass_number: int, plans: dict[int, dict]) -> tuple[str, str]:
    """The plans of a pass ({segment pk: plan, or {} for a line no longer spoken}) for mux."""
    rel = f"tts/pass{pass_number}/voice_plans.json"
    workspace.path(rel).write_text(json.dumps({str(pk): plan for pk, plan in plans.items()}))
    return rel, workspace.publish(rel)


def apply_plans(workspace, rel: str | None) -> int:
    """Write a pass's plans onto its lines: one bulk update (voice_plan only: an editor's text,
    version and flags are not touched). Call inside the transaction that swaps the outputs."""
    if not rel:
        return 0
    plans = json.loads(workspace.ensure_local(rel).read_text())
    rows = [Segment(pk=int(pk), voice_plan=plan) for pk, plan in plans.items()]
    with transaction.atomic():
        Segment.objects.bulk_update(rows, ["voice_plan"], batch_size=500)
    return len(rows)
