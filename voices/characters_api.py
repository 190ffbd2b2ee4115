"""Characters of a series: list, create, read, change, delete, merge and undo a merge. Thin: the
same services and permissions as the Characters page."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Path, Router, Schema, Status
from pydantic import Field

from dubsite.audit import Context
from dubsite.errors import NotFound
from dubsite.roles import require
from dubsite.schemas import SLUG_PATTERN, TEXT_PATTERN, IdPath, StrictSchema, errors
from series import services as catalog
from series.selectors import series_get

from . import selectors
from .characters import character_delete
from .merge import character_merge, character_merge_undo
from .models import CharacterMerge
from .roster import character_entry, character_roster

series_router = Router(tags=["characters"])
characters_router = Router(tags=["characters"])
merges_router = Router(tags=["characters"])

SlugPath = Annotated[str, Path(description="the series' slug", min_length=1, max_length=80, pattern=SLUG_PATTERN)]
Name = Annotated[str, Field(max_length=100, pattern=TEXT_PATTERN)]
Notes = Annotated[str, Field(max_length=5000, pattern=r"^[^\x00]*$")]  # lines and tabs are fine in notes
VoiceKey = Annotated[str, Field(max_length=200, pattern=TEXT_PATTERN,
                                description="a TTS voice key (e.g. espeak:f3:p=70:s=165:g=f, "
                                            "piper:en_US-joe-medium) installed here; \"\" clears it")]


class AppearanceOut(Schema):
    season: int
    episode: int
    lines: int
    seconds: float


class CharacterRefOut(Schema):
    id: int
    seconds: float
    source: str
    created: datetime


class CharacterDetailOut(Schema):
    id: int
    series: str
    code: str
    display_name: str
    notes: str
    voice: str
    voice_locked: bool
    merged_into: str | None
    aliases: list[str]
    lines: int
    seconds: float
    appearances: list[AppearanceOut]
    ref: CharacterRefOut | None = Field(None, description="the newest series ref; null for roles that may not "
                                                          "hear voice data, or when there is none")


def _out(entry) -> dict:
    c = entry.character
    return {"id": c.pk, "series": c.series.slug, "code": c.code, "display_name": c.display_name, "notes": c.notes,
            "voice": entry.voice, "voice_locked": c.voice_locked,
            "merged_into": c.merged_into.code if c.merged_into_id else None,
            "aliases": [a.code for a in entry.aliases], "lines": entry.lines, "seconds": entry.seconds,
            "appearances": [a.__dict__ for a in entry.appearances], "ref": entry.ref}


class CharacterIn(StrictSchema):
    display_name: Name = ""
    notes: Notes = ""
    voice: VoiceKey = ""
    voice_locked: bool = False


class CharacterPatch(StrictSchema):
    """Only the fields sent change; code, series and alias links are not editable here."""

    display_name: Name = None
    notes: Notes = None
    voice: VoiceKey = None
    voice_locked: bool = None


class DeletedOut(Schema):
    lines: int
    episode_speakers: int
    refs: int
    embeddings: int
    snapshots: int


class MergeOut(Schema):
    id: int
    series: str
    source: str
    target: str
    moved: dict[str, int] = Field(description="rows moved from source to target, per kind")
    actor: str | None
    created: datetime
    undone: datetime | None

    @staticmethod
    def resolve_series(obj):
        return obj.series.slug

    @staticmethod
    def resolve_source(obj):
        return obj.source.code

    @staticmethod
    def resolve_target(obj):
        return obj.target.code

    @staticmethod
    def resolve_moved(obj):
        return {kind: len(ids) for kind, ids in obj.moved.items()}

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.get_username() if obj.actor_id else None


@series_router.get("/{slug}/characters", response={200: list[CharacterDetailOut], **errors(401, 403, 404, 422)},
                   summary="The series' characters (aliases listed under their canonical) with their appearances")
def list_characters(request, slug: SlugPath):
    series = series_get(user=request.user, slug=slug)
    return [_out(e) for e in character_roster(user=request.user, series=series)]


@series_router.post("/{slug}/characters", response={201: CharacterDetailOut, **errors(400, 401, 403, 404, 413, 422)},
                    summary="Create a character")
def create_character(request, slug: SlugPath, payload: CharacterIn):
    series = series_get(user=request.user, slug=slug)
    character = catalog.character_create(actor=request.user, series=series, context=Context.from_request(request),
                                         **payload.dict())
    return Status(201, _out(character_entry(user=request.user, character=character)))


@characters_router.get("/{character_id}", response={200: CharacterDetailOut, **errors(401, 403, 404, 422)},
                       summary="A character with its aliases and appearances")
def get_character(request, character_id: IdPath):
    character = selectors.character_get(user=request.user, pk=character_id)
    return _out(character_entry(user=request.user, character=character))


@characters_router.patch("/{character_id}", response={200: CharacterDetailOut, **errors(400, 401, 403, 404, 413, 422)},
                         summary="Rename, notes, lock voice, saved voice (only the fields sent)")
def update_character(request, character_id: IdPath, payload: CharacterPatch):
    character = selectors.character_get(user=request.user, pk=character_id)
    catalog.character_update(actor=request.user, character=character, context=Context.from_request(request),
                             **payload.dict(exclude_unset=True))
    return _out(character_entry(user=request.user, character=selectors.character_get(user=request.user,
                                                                                     pk=character_id)))


@characters_router.delete("/{character_id}", response={200: DeletedOut, **errors(401, 403, 404, 409, 422)},
                          summary="Delete a character and its aliases, refs, embeddings (admins; 409 while a job "
                                  "of the series is queued or running)")
def delete_character(request, character_id: IdPath):
    character = selectors.character_get(user=request.user, pk=character_id)
    return character_delete(actor=request.user, character=character, context=Context.from_request(request))


@characters_router.post("/{character_id}/merge-into/{target_id}",
                        response={201: MergeOut, **errors(401, 403, 404, 409, 422)},
                        summary="Merge this character into the target (admins): its lines, speakers, refs and "
                                "embeddings move; it becomes an alias")
def merge_character(request, character_id: IdPath, target_id: IdPath):
    require(request.user, "voices.merge_character")
    source = selectors.character_get(user=request.user, pk=character_id)
    target = selectors.character_get(user=request.user, pk=target_id)
    merge = character_merge(actor=request.user, source=source, target=target, context=Context.from_request(request))
    return Status(201, merge)


@merges_router.post("/{merge_id}/undo", response={200: MergeOut, **errors(401, 403, 404, 409, 422)},
                    summary="Undo a merge (admins): exactly the rows that moved go back")
def undo_merge(request, merge_id: IdPath):
    require(request.user, "voices.merge_character")
    merge = CharacterMerge.objects.select_related("series", "source", "target", "actor").filter(pk=merge_id).first()
    if merge is None:
        raise NotFound(f"no merge {merge_id}")
    character_merge_undo(actor=request.user, merge=merge, context=Context.from_request(request))
    merge.refresh_from_db()
    return merge


__all__ = ["series_router", "characters_router", "merges_router"]
