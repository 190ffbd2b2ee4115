"""Reads for the series' Characters page and API: each canonical character with its aliases, its
appearances (season, episode, lines, speaking time, from the review lines) and its newest series
ref (only for users who may hear voice data). A fixed number of queries, however many characters."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, F, Sum

from dubsite.errors import NotFound
from dubsite.roles import has_perm, require
from series.models import Character, Series

from .models import VoiceRef

__all__ = ["Appearance", "RosterEntry", "character_roster", "character_entry"]


@dataclass
class Appearance:
    season: int
    episode: int
    lines: int
    seconds: float


@dataclass
class RosterEntry:
    character: Character
    aliases: list[Character] = field(default_factory=list)
    appearances: list[Appearance] = field(default_factory=list)
    ref: VoiceRef | None = None  # None as well when the user may not hear voice data

    @property
    def lines(self) -> int:
        return sum(a.lines for a in self.appearances)

    @property
    def seconds(self) -> float:
        return round(sum(a.seconds for a in self.appearances), 1)

    @property
    def voice(self) -> str:
        return (self.character.voice_settings or {}).get("voice", "")


def _canonical_ids(characters: list[Character]) -> dict[int, int]:
    """pk → the pk of its canonical character, followed in memory (no query per alias)."""
    parent = {c.pk: c.merged_into_id for c in characters}
    out = {}
    for pk in parent:
        node, seen = pk, set()
        while parent.get(node) and node not in seen:
            seen.add(node)
            node = parent[node]
        out[pk] = node
    return out


def _entries(user, characters: list[Character]) -> list[RosterEntry]:
    from review.models import Segment  # lines name their character; review sits beside voices

    ids = [c.pk for c in characters]
    entries = {c.pk: RosterEntry(character=c) for c in characters if not c.merged_into_id}
    canonical = _canonical_ids(characters)
    for c in characters:
        if c.merged_into_id and canonical[c.pk] in entries:
            entries[canonical[c.pk]].aliases.append(c)
    rows = (Segment.objects.filter(character_id__in=ids)
            .values("character_id", "episode__season__number", "episode__number")
            .annotate(lines=Count("pk"), seconds=Sum(F("end") - F("start")))
            .order_by("episode__season__number", "episode__number"))
    for r in rows:
        entry = entries.get(canonical.get(r["character_id"]))
        if entry is not None:
            entry.appearances.append(Appearance(r["episode__season__number"], r["episode__number"], r["lines"],
                                                round(r["seconds"] or 0.0, 1)))
    if has_perm(user, "voices.view_voiceref"):
        for ref in VoiceRef.objects.filter(character_id__in=list(entries)).order_by("character_id", "-created", "-id"):
            if entries[ref.character_id].ref is None:
                entries[ref.character_id].ref = ref
    return list(entries.values())


def character_roster(*, user, series: Series) -> list[RosterEntry]:
    """Every canonical character of the series, with aliases under it."""
    require(user, "series.view_character", series)
    characters = list(Character.objects.filter(series=series).select_related("merged_into").order_by("code"))
    return _entries(user, characters)


def character_entry(*, user, character: Character) -> RosterEntry:
    """One character (an alias answers with its own row, its appearances moved to its canonical)."""
    require(user, "series.view_character", character)
    family = list(Character.objects.filter(series_id=character.series_id).select_related("merged_into"))
    by_pk = {c.pk: c for c in family}
    if character.pk not in by_pk:
        raise NotFound(f"no character {character.pk}")
    root = by_pk[character.pk]
    canonical = _canonical_ids(family)
    members = [c for c in family if canonical[c.pk] == root.pk]
    if root.merged_into_id:  # an alias: nothing of its own left, show it alone
        return RosterEntry(character=root)
    return _entries(user, members)[0]
