"""Deleting a character, with everything that holds its voice.

Create and update live in `series.services` (the catalog's own fields); a delete reaches into
voice data (refs, embeddings, snapshots, episode speakers), so it lives here, above the catalog.
"""
from __future__ import annotations

from django.db import transaction

from dubsite import audit
from dubsite.errors import Conflict, NotFound
from dubsite.roles import require
from series.hooks import delete_guards
from series.models import Character, Series
from series.services import CHARACTER_FIELDS

from .models import CharacterEmbedding, EmbeddingSnapshot, EpisodeSpeaker, VoiceRef

__all__ = ["character_delete", "character_holdings"]


def character_holdings(character_ids) -> dict[str, int]:
    """What a delete scrubs (or a merge moves): counts of the rows that hold these characters' voice."""
    from review.models import Segment  # lines refer to characters; review sits beside voices, not below

    ids = list(character_ids)
    return {
        "lines": Segment.objects.filter(character_id__in=ids).count(),
        "episode_speakers": EpisodeSpeaker.objects.filter(character_id__in=ids).count(),
        "refs": VoiceRef.objects.filter(character_id__in=ids).count(),
        "embeddings": CharacterEmbedding.objects.filter(character_id__in=ids).count(),
        "snapshots": EmbeddingSnapshot.objects.filter(character_id__in=ids).count(),
    }


def _check_no_active_jobs(series: Series, what: str) -> None:
    """A running identify or tts stage reads and writes these rows: the same guard as a series delete."""
    reasons = [reason for guard in delete_guards for reason in guard(series)]
    if reasons:
        raise Conflict(f"{what} cannot be done now: {'; '.join(reasons)}", fields={"series": "busy"})


def character_delete(*, actor, character: Character, context=None) -> dict[str, int]:
    """Admins only. Deletes the character and its aliases (names of the same person), their series
    refs (blobs after the commit), embeddings and snapshots; their lines keep their text without a
    character, and episode speakers that pointed at it are flagged for a person to assign again."""
    require(actor, "series.delete_character", character)
    with transaction.atomic():
        series = Series.objects.select_for_update().filter(pk=character.series_id).first()
        character = Character.objects.select_for_update().filter(pk=character.pk).first()
        if series is None or character is None:
            raise NotFound("the character was deleted meanwhile")
        _check_no_active_jobs(series, f"deleting {character.code}")
        doomed = [character.pk, *Character.objects.filter(merged_into=character).values_list("pk", flat=True)]
        counts = character_holdings(doomed)
        old = {"code": character.code, **{f: getattr(character, f) for f in CHARACTER_FIELDS},
               "aliases": list(Character.objects.filter(pk__in=doomed[1:]).values_list("code", flat=True)), **counts}
        EpisodeSpeaker.objects.filter(character_id__in=doomed).update(
            character=None, provider=EpisodeSpeaker.Provider.NEW, flagged=True,
            reason=f"its character {character.code} was deleted; assign one")
        # refs one by one through the ORM so each post_delete removes its blob after the commit
        for ref in VoiceRef.objects.filter(character_id__in=doomed):
            ref.delete()
        audit.record(actor, "character.delete", character, old=old, new={"deleted": doomed}, context=context)
        Character.objects.filter(pk__in=doomed[1:]).delete()
        character.delete()  # embeddings and snapshots cascade
    return counts
