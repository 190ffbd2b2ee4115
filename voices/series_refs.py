"""Refs in a job: the job's own refs (encrypted in job storage) and the characters' series refs
(encrypted in voices/), decrypted into the work folder only while a stage speaks with them.

Policy: a later pass clones from the job's ref first, then from the character's series ref,
then falls back to presets. After identify, each character without a series ref (or with a
clearly shorter one from an earlier job) keeps this job's ref; an editor's upload and a
character whose voice is locked are never replaced.
"""
from __future__ import annotations

import logging
import uuid

from dubsite.errors import ApplicationError
from series.models import Character

from .crypto import EncryptionUnavailable, InvalidToken
from .jobrefs import PLAIN_FOLDER, job_ref_bytes, job_ref_local
from .models import EpisodeSpeaker, VoiceRef
from .services import refs_allowed, voice_ref_latest, voice_ref_read, voice_ref_store

__all__ = ["LONGER_BY", "should_replace", "series_ref_ids", "open_refs", "close_refs", "keep_series_refs"]

# a job's ref replaces the character's earlier job ref only when clearly longer (more to clone from)
LONGER_BY = 1.0


def should_replace(character: Character, latest: VoiceRef | None, seconds: float) -> str:
    """'' when this job's ref of `seconds` should become the character's series ref, else why not."""
    if character.voice_locked:
        return f"{character.code} has its voice locked"
    if latest is None:
        return ""
    if latest.source == VoiceRef.Source.UPLOAD:
        return f"{character.code} has an uploaded ref of {latest.seconds:.1f} s"
    if latest.seconds + LONGER_BY > seconds:
        return f"{character.code} has a job ref of {latest.seconds:.1f} s"
    return ""


def series_ref_ids(job_id: int) -> dict[str, str]:
    """{character code: sha256 of its newest series ref} for the job's characters (a fingerprint)."""
    ids = set(EpisodeSpeaker.objects.filter(job_id=job_id, character__isnull=False)
              .values_list("character_id", flat=True))
    latest = {}
    for character in Character.objects.filter(pk__in=ids).select_related("merged_into"):
        ref = voice_ref_latest(character)
        latest[character.code] = ref.sha256 if ref else ""
    return latest


def _write(ctx, data: bytes) -> str:
    rel = f"{PLAIN_FOLDER}/{uuid.uuid4().hex}.wav"
    ctx.workspace.path(rel).write_bytes(data)
    return rel


def open_refs(ctx, segments, refs: dict, *, series_refs: bool) -> tuple[dict[str, dict], list[str]]:
    """Decrypted copies of the refs a stage speaks with: the job's own, and (series_refs) the
    character's series ref for speakers the job has none for. Returns (refs shaped like the refs
    stage's outputs but pointing at the copies, the copies to remove with `close_refs`)."""
    opened, copies = {}, []
    for label, ref in refs.items():
        if not ref.get("clone_path"):
            continue
        try:
            local = {key: _write(ctx, job_ref_bytes(ctx.workspace, ref[key])) for key in ("path", "clone_path")}
        except (EncryptionUnavailable, InvalidToken, FileNotFoundError) as exc:
            ctx.event(f"job ref of {label} unreadable ({exc.__class__.__name__}: {exc or 'wrong key'})",
                      level=logging.WARNING)
            continue
        copies += local.values()
        opened[label] = {**ref, **local}
    if series_refs:
        fetched = _fetch_series_refs(ctx, segments, opened, refs)
        copies += [info["clone_path"] for info in fetched.values()]
        opened.update(fetched)
    return opened, copies


def close_refs(ctx, copies: list[str]) -> None:
    for rel in copies:
        ctx.workspace.path(rel).unlink(missing_ok=True)


def _fetch_series_refs(ctx, segments, opened: dict, refs: dict) -> dict[str, dict]:
    series = ctx.job.episode.season.series
    missing = {s.diar_label: s.character for s in segments if s.character_id and s.diar_label not in opened}
    if not missing:
        return {}
    ok, why = refs_allowed(series)
    if not ok:
        ctx.event(f"series refs not used: {why}")
        return {}
    fetched = {}
    for label, character in missing.items():
        ref = voice_ref_latest(character)
        if ref is None:
            continue
        try:
            rel = _write(ctx, voice_ref_read(ref))
        except (EncryptionUnavailable, InvalidToken) as exc:
            ctx.event(f"series ref of {character.code} unreadable ({exc.__class__.__name__}: {exc or 'wrong key'})",
                      level=logging.WARNING)
            continue
        fetched[label] = {"path": rel, "clone_path": rel, "seconds": ref.seconds, "method": "series",
                          "reason": "", "f0_hz": None, "series_ref": ref.pk,
                          "job_reason": (refs.get(label) or {}).get("reason", "")}
    if fetched:
        ctx.event("series refs for speakers without a ref in this job: "
                  + ", ".join(f"{k} → {missing[k].code} ({v['seconds']:.1f} s)" for k, v in fetched.items()))
    return fetched


def keep_series_refs(ctx, refs: dict[str, dict], speakers: dict[str, dict]) -> None:
    """After identify: each character whose ref `should_replace` keeps this job's ref."""
    series = ctx.job.episode.season.series
    ok, why = refs_allowed(series)
    if not ok:
        ctx.event(f"series refs: none kept ({why})")
        return
    kept, skipped = [], []
    for label, ref in refs.items():
        info = speakers.get(label)
        if not ref.get("clone_path") or not info:
            continue
        character = Character.objects.get(pk=info["character_id"]).canonical()
        why_not = should_replace(character, voice_ref_latest(character), ref["seconds"])
        if why_not:
            skipped.append(why_not)
            continue
        try:
            with job_ref_local(ctx.workspace, ref["clone_path"]) as wav:
                voice_ref_store(actor=None, character=character, wav=wav, source=VoiceRef.Source.JOB,
                                job_id=ctx.job.pk)
        except ApplicationError as exc:  # e.g. too short to keep, refs off: this ref only, the job goes on
            skipped.append(f"{character.code} not kept: {exc.message}")
            continue
        kept.append(f"{label} → {character.code} ({ref['seconds']:.1f} s)")
    ctx.event("series refs: " + ("kept " + ", ".join(kept) if kept else "none new")
              + (f"; kept as they are: {'; '.join(skipped)}" if skipped else ""))
