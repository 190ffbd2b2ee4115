"""Reads of voice data, restricted to who may see it (viewers may not: it is voice data)."""
from __future__ import annotations

from django.db.models import Count, QuerySet, Sum

from dubsite.errors import NotFound
from dubsite.roles import require
from series.models import Character

from .models import VoiceRef
from .playback import read_encrypted


def character_get(*, user, pk: int) -> Character:
    require(user, "series.view_character")
    character = Character.objects.select_related("series", "merged_into").filter(pk=pk).first()
    if character is None:
        raise NotFound(f"no character {pk}")
    return character


def voice_ref_list(*, user, character: Character) -> QuerySet[VoiceRef]:
    require(user, "voices.view_voiceref", character)
    return VoiceRef.objects.filter(character=character.canonical()).select_related("created_by")


def voice_ref_get(*, user, pk: int) -> VoiceRef:
    require(user, "voices.view_voiceref")
    ref = VoiceRef.objects.select_related("character__series").filter(pk=pk).first()
    if ref is None:
        raise NotFound(f"no voice ref {pk}")
    return ref


def voice_ref_audio(*, user, pk: int) -> tuple[VoiceRef, bytes]:
    """A series ref and its decrypted WAV, for a user allowed to hear voice data (404 when gone,
    409 VoiceDataLocked when no configured key opens it)."""
    ref = voice_ref_get(user=user, pk=pk)
    return ref, read_encrypted(ref.blob)


def voice_ref_usage(series_ids) -> dict[int, dict[str, tuple[int, int]]]:
    """series.hooks usage provider: bytes and count of the series' encrypted refs, from their rows."""
    rows = (VoiceRef.objects.filter(character__series_id__in=list(series_ids)).values("character__series_id")
            .annotate(size=Sum("blob_bytes"), count=Count("pk")).order_by())
    return {r["character__series_id"]: {"voice refs": (r["size"] or 0, r["count"])} for r in rows}
