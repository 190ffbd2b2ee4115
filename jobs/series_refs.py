"""Series refs in a job: pass 2 falls back to a character's series ref when the job found no
ref for that speaker (job-local refs first, then series refs, then presets), and pass 1 keeps
the job's refs as series refs for later. Refs are encrypted at rest (voices app)."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from dubsite.errors import ApplicationError
from review.models import Segment
from series.models import Character
from voices.crypto import EncryptionUnavailable, InvalidToken
from voices.models import VoiceRef
from voices.services import refs_allowed, voice_ref_latest, voice_ref_read, voice_ref_store

if TYPE_CHECKING:
    from .stages.base import StageContext

__all__ = ["series_ref_ids", "fetch_series_refs", "forget_series_refs", "keep_series_refs"]

# a job's ref replaces the character's earlier job ref only when clearly longer (more to clone from)
LONGER_BY = 1.0


def series_ref_ids(job) -> dict[str, str]:
    ids = set(Segment.objects.filter(job_id=job.pk, character__isnull=False).values_list("character_id", flat=True))
    latest = {}
    for character in Character.objects.filter(pk__in=ids).select_related("merged_into"):
        ref = voice_ref_latest(character)
        latest[character.code] = ref.sha256 if ref else ""
    return latest


def fetch_series_refs(ctx: StageContext, segments, refs: dict) -> dict[str, dict]:
    """For speakers this job found no ref for: their character's series ref, decrypted into the
    workspace (removed again after the stage), shaped like a job ref."""
    series = ctx.job.episode.season.series
    missing = {s.diar_label: s.character for s in segments
               if s.character_id and not (refs.get(s.diar_label) or {}).get("clone_path")}
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
        rel = f"work/series_refs/{character.code}.wav"
        try:
            ctx.workspace.path(rel).write_bytes(voice_ref_read(ref))
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


def forget_series_refs(ctx: StageContext, fetched: dict[str, dict]) -> None:
    for info in fetched.values():
        ctx.workspace.path(info["clone_path"]).unlink(missing_ok=True)


def keep_series_refs(ctx: StageContext, refs: dict[str, dict]) -> None:
    """After pass 1's refs: each character without a series ref (or with a clearly shorter one
    from an earlier job) keeps this job's ref. An editor's uploaded ref is never replaced."""
    series = ctx.job.episode.season.series
    ok, why = refs_allowed(series)
    if not ok:
        ctx.event(f"series refs: none kept ({why})")
        return
    speakers = ctx.out("identify")["speakers"]
    kept, skipped = [], []
    for label, ref in refs.items():
        info = speakers.get(label)
        if not ref.get("clone_path") or not info:
            continue
        character = Character.objects.get(pk=info["character_id"]).canonical()
        latest = voice_ref_latest(character)
        if latest is not None and (latest.source == VoiceRef.Source.UPLOAD or latest.seconds + LONGER_BY > ref["seconds"]):
            skipped.append(f"{character.code} has a {latest.source} ref of {latest.seconds:.1f} s")
            continue
        try:
            voice_ref_store(actor=None, character=character, wav=ctx.local(ref["clone_path"]),
                            source=VoiceRef.Source.JOB, job_id=ctx.job.pk)
        except ApplicationError as exc:  # e.g. too short to keep, refs off: this ref only, the job goes on
            skipped.append(f"{character.code} not kept: {exc.message}")
            continue
        kept.append(f"{label} → {character.code} ({ref['seconds']:.1f} s)")
    ctx.event("series refs: " + ("kept " + ", ".join(kept) if kept else "none new")
              + (f"; kept as they are: {'; '.join(skipped)}" if skipped else ""))
