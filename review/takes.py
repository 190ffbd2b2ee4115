"""Takes: one line spoken again (Regenerate), kept per line so editors compare and choose.

Regenerate speaks the line's current text with its voice plan (review.line_voice) and fits it to
the slot exactly as the tts stage does (media.tts.fitted), in the calling process: one short line
with a warm Piper voice is playable in a few hundred milliseconds, far below a queue's round trip
(see README, "Regenerate a line"). Synthesis runs outside any transaction (no row lock held while
an engine speaks); the version the editor heard is checked before and again when the take is
written, so a take always speaks the text of the version the editor was looking at.

What only the job knows (its language, speed cap, decrypted refs) is passed in as `JobVoicing`,
built by jobs.line_voicing: review does not import jobs.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ContextManager

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max

from dubsite import audit
from dubsite.errors import Invalid, NotFound
from dubsite.roles import require
from media.tts import TtsRequest
from media.tts.fitted import synthesize_fitted, wav_bytes
from media.tts.xtts import XttsCloneEngine

from .editing import lock_for_write
from .line_voice import LineVoice, line_voice
from .models import Segment, Take

__all__ = ["JobVoicing", "take_name", "take_regenerate", "take_choose", "take_list", "take_get", "take_files"]

RefOpener = Callable[[Segment, LineVoice], ContextManager[Path | None]]


@dataclass(frozen=True)
class JobVoicing:
    """What a take needs from the job that made the line."""
    job_id: int
    language: str
    speed_cap: float
    # a decrypted copy of the ref the line clones from, for the `with` block only (None: no ref)
    open_ref: RefOpener = lambda segment, voice: contextlib.nullcontext(None)


def take_name(job_id: int, segment_id: int, number: int) -> str:
    """Storage name of a take: inside the job's folder, so it goes when the job's files go."""
    return f"jobs/{int(job_id)}/takes/{int(segment_id)}/{int(number)}.wav"


def take_list(*, user, segment: Segment) -> list[Take]:
    require(user, "review.view_segment", segment)
    return list(Take.objects.filter(segment=segment).select_related("created_by").order_by("number"))


def take_get(*, user, segment: Segment, number: int) -> Take:
    require(user, "review.view_segment", segment)
    take = Take.objects.filter(segment=segment, number=number).first()
    if take is None:
        raise NotFound(f"line {segment.pk} has no take {number}")
    return take


def _gap_after(row: Segment) -> float:
    """Silence the fit may borrow: to the next spoken line of the job, or to the episode's end."""
    following = (Segment.objects.filter(job_id=row.job_id, start__gte=row.start).exclude(pk=row.pk)
                 .exclude(target_text="").order_by("start").values_list("start", flat=True).first())
    if following is not None:
        return max(following - row.end, 0.0)
    return max(row.episode.duration - row.end, 0.0) if row.episode.duration else 0.0


def _speak(row: Segment, voicing: JobVoicing):
    voice = line_voice(row, language=voicing.language, clone_ok=XttsCloneEngine().availability())
    with voicing.open_ref(row, voice) as ref:
        if voice.clone and ref is None:
            voice.clone = False
            voice.notes.append("the line's ref is gone or unreadable: its preset voice")
        request = TtsRequest(row.target_text, voicing.language, voice=voice.voice, clone=voice.clone,
                             ref_wav=str(ref) if voice.clone else None, slot_seconds=row.end - row.start,
                             seed=row.index)
        fitted = synthesize_fitted(request, slot=row.end - row.start, gap_after=_gap_after(row),
                                   cap=voicing.speed_cap)
    return voice, fitted


def take_regenerate(*, actor, segment: Segment, version: int, voicing: JobVoicing, started: float | None = None,
                    context=None) -> Take:
    """Speak the line's text (as of `version`) into a new take; `started` (time.perf_counter) is when
    the request came in, so the take records request → playable."""
    started = time.perf_counter() if started is None else started
    require(actor, "review.regenerate_segment", segment)
    with transaction.atomic():  # refuse a stale version before spending seconds on synthesis
        row = lock_for_write(segment, version)
    if not row.target_text.strip():
        raise Invalid(f"line {row.index} has no text to speak", fields={"target_text": "empty"})
    row.episode = segment.episode
    voice, fitted = _speak(row, voicing)
    data = wav_bytes(fitted.samples, fitted.sample_rate)
    with transaction.atomic():
        row = lock_for_write(segment, version)  # serializes takes of one line; the text is still the one spoken
        number = (Take.objects.filter(segment=row).aggregate(top=Max("number"))["top"] or 0) + 1
        name = take_name(row.job_id, row.pk, number)
        if default_storage.exists(name):  # left by a write that rolled back
            default_storage.delete(name)
        stored = default_storage.save(name, ContentFile(data))
        try:
            plan = {**voice.as_plan(), "engine": fitted.provider, "voice_id": fitted.voice_id,
                    "speed": round(fitted.speed, 4), "fit": fitted.fit.as_dict(),
                    "fallback_reasons": fitted.fallback_reasons}
            take = Take.objects.create(segment=row, number=number, text=row.target_text, voice_plan=plan,
                                       audio=stored, duration=round(fitted.duration, 4),
                                       speed=round(fitted.speed, 4), provider=fitted.provider,
                                       seconds=round(time.perf_counter() - started, 4),
                                       created_by=actor if actor.is_authenticated else None)
            audit.record(actor, "segment.regenerate", row, context=context,
                         new={"take": number, "text": row.target_text, "version": row.version,
                              "voice": plan["voice"], "source": voice.source, "provider": fitted.provider,
                              "speed": take.speed, "notes": voice.notes})
        except Exception:
            default_storage.delete(stored)  # the row is rolled back: its file must not stay behind
            raise
    return take


def take_choose(*, actor, segment: Segment, number: int | None, context=None) -> list[Take]:
    """Make take `number` the one the dub uses for this line, or none (None: the pass's own clip)."""
    require(actor, "review.change_segment", segment)
    with transaction.atomic():
        row = Segment.objects.select_for_update().filter(pk=segment.pk).first()
        if row is None:
            raise NotFound(f"line {segment.pk} was deleted meanwhile")
        takes = list(Take.objects.select_for_update().filter(segment=row).order_by("number"))
        before = next((t.number for t in takes if t.chosen), None)
        if number is not None and number not in {t.number for t in takes}:
            raise NotFound(f"line {row.pk} has no take {number}")
        if before != number:
            # unchoose first: the one-chosen-take constraint holds at every statement
            Take.objects.filter(segment=row, chosen=True).update(chosen=False)
            if number is not None:
                Take.objects.filter(segment=row, number=number).update(chosen=True)
            audit.record(actor, "segment.choose_take", row, old={"take": before}, new={"take": number},
                         context=context)
    return take_list(user=actor, segment=segment)


def take_files(segment_ids) -> list[str]:
    """Storage names of the takes of these lines (to delete after the lines are deleted)."""
    return list(Take.objects.filter(segment_id__in=list(segment_ids)).exclude(audio="")
                .values_list("audio", flat=True))
