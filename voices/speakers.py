"""A person's word on who speaks: assign a job's diarization label to a character, and keep the
label's job ref as that character's series ref.

An assignment (provider "assigned") wins over voice matching when identify runs again for the
job; the label's embedding snapshot follows it at once, so both characters' voices are right
even before that re-run.
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dubsite import audit
from dubsite.errors import Conflict, Invalid, NotFound
from dubsite.roles import require
from series.models import Character
from series.services import character_create

from .jobrefs import job_ref_local
from .models import EmbeddingSnapshot, EpisodeSpeaker, VoiceRef
from .services import voice_ref_store
from .vectors import rebuild_mean

__all__ = ["speaker_assign", "voice_ref_enroll"]


def _speaker_fields(speaker: EpisodeSpeaker) -> dict:
    return {"job": speaker.job_id, "label": speaker.label, "character": speaker.character_id,
            "provider": speaker.provider, "flagged": speaker.flagged}


def speaker_assign(*, actor, speaker: EpisodeSpeaker, character: Character | None = None,
                   new_name: str | None = None, context=None) -> EpisodeSpeaker:
    """Exactly one of `character` (a canonical character of the episode's series) or `new_name`
    (a new character is created, which needs series.add_character too)."""
    require(actor, "voices.assign_episodespeaker", speaker)
    if (character is None) == (new_name is None):
        raise Invalid("give either an existing character or a name for a new one",
                      fields={"character": "exactly one of character, new_name"})
    series = speaker.episode.season.series
    if character is not None:
        if character.series_id != series.pk:
            raise Invalid(f"{character.code} belongs to another series", fields={"character": "other series"})
        if character.merged_into_id:
            raise Invalid(f"{character.code} is an alias of {character.merged_into.code}; assign that one",
                          fields={"character": "alias"})
    elif not new_name.strip():
        raise Invalid("a new character needs a name", fields={"new_name": "empty"})
    with transaction.atomic():
        speaker = EpisodeSpeaker.objects.select_for_update().filter(pk=speaker.pk).first()
        if speaker is None:
            raise NotFound("the speaker was deleted meanwhile")
        if character is None:
            character = character_create(actor=actor, series=series, display_name=new_name, context=context)
        old = _speaker_fields(speaker)
        previous = speaker.character_id
        speaker.character, speaker.provider = character, EpisodeSpeaker.Provider.ASSIGNED
        speaker.assigned_by = actor if getattr(actor, "pk", None) else None
        speaker.assigned_at, speaker.flagged, speaker.reason = timezone.now(), False, ""
        speaker.save(update_fields=["character", "provider", "assigned_by", "assigned_at", "flagged", "reason"])
        # this label's voice now belongs to the assigned character: its snapshot moves with it
        snaps = EmbeddingSnapshot.objects.filter(job_id=speaker.job_id, label=speaker.label)
        if previous != character.pk and snaps.exclude(character=character).exists():
            snaps.update(character=character)
            for pk in {previous, character.pk} - {None}:
                rebuild_mean(pk)
        audit.record(actor, "episode_speaker.assign", speaker, old=old,
                     new={**_speaker_fields(speaker), "code": character.code}, context=context)
    return speaker


def voice_ref_enroll(*, actor, speaker: EpisodeSpeaker, workspace, rel: str, context=None) -> VoiceRef:
    """The job's ref of this label (`rel` in the job's `workspace`, encrypted there) becomes the newest
    series ref of the label's character. The caller (jobs) finds the workspace and the ref's name."""
    require(actor, "voices.add_voiceref", speaker)
    if speaker.character_id is None:
        raise Conflict(f"{speaker.label} has no character yet; assign one first", fields={"label": "no character"})
    character = speaker.character.canonical()
    try:
        with job_ref_local(workspace, rel) as wav:
            return voice_ref_store(actor=actor, character=character, wav=wav, source=VoiceRef.Source.JOB,
                                   job_id=speaker.job_id, context=context)
    except FileNotFoundError as exc:
        raise Conflict(f"the job's ref of {speaker.label} is no longer stored", fields={"label": "no ref"}) from exc
