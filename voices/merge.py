"""Merge character B (source) into A (target), and undo it exactly.

A merge moves every row that says "this is B" (lines, episode speakers, series refs, embedding
snapshots) to A, recomputes A's voice from the snapshots, and leaves B as an alias of A. The
CharacterMerge row records the ids that moved and both characters' mean rows (encrypted), so
undo moves exactly those rows back and restores the means byte for byte (in plaintext).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Sum, F
from django.utils import timezone

from dubsite import audit
from dubsite.errors import Conflict, Invalid, NotFound
from dubsite.roles import require
from series.models import Character, Series
from series.services import CHARACTER_FIELDS

from .characters import _check_no_active_jobs
from .models import CharacterMerge, EmbeddingSnapshot, EpisodeSpeaker, VoiceRef
from .vectors import dump_rows, rebuild_mean, restore_rows

__all__ = ["MOVED_KINDS", "MergePreview", "character_merge_check", "character_merge_preview", "character_merge",
           "character_merge_undo", "undoable_merges"]


def _segment_model():
    from review.models import Segment  # lines name their character; review sits beside voices

    return Segment


def _moving_querysets(character_id: int) -> dict:
    """Every kind of row a merge moves, keyed as in CharacterMerge.moved."""
    return {
        "segments": _segment_model().objects.filter(character_id=character_id),
        "speakers": EpisodeSpeaker.objects.filter(character_id=character_id),
        "refs": VoiceRef.objects.filter(character_id=character_id),
        "snapshots": EmbeddingSnapshot.objects.filter(character_id=character_id),
    }


MOVED_KINDS = ("segments", "speakers", "refs", "snapshots")


def _model_of(kind: str):
    return {"segments": _segment_model(), "speakers": EpisodeSpeaker, "refs": VoiceRef,
            "snapshots": EmbeddingSnapshot}[kind]


def character_merge_check(source: Character, target: Character) -> None:
    """Refuse a merge that cannot make sense (Invalid), or not in the characters' present state (Conflict)."""
    if source.pk == target.pk:
        raise Invalid("a character cannot be merged into itself", fields={"target": "same as the source"})
    if source.series_id != target.series_id:
        raise Invalid(f"{source.code} and {target.code} belong to different series", fields={"target": "other series"})
    for role, character in (("source", source), ("target", target)):
        if character.merged_into_id:
            raise Conflict(f"{character.code} is already an alias of {character.merged_into.code}; "
                           "merge its canonical character instead", fields={role: "alias"})


@dataclass
class MergePreview:
    """What a merge of source into target would move, for the confirmation page."""

    source: Character
    target: Character
    counts: dict[str, int]
    episodes: list[dict] = field(default_factory=list)  # season, episode, lines, seconds, labels
    refs: list = field(default_factory=list)
    embedding_models: list[str] = field(default_factory=list)


def character_merge_preview(*, user, source: Character, target: Character) -> MergePreview:
    require(user, "voices.merge_character", source)
    character_merge_check(source, target)
    moving = _moving_querysets(source.pk)
    counts = {kind: qs.count() for kind, qs in moving.items()}
    lines = {(r["episode__season__number"], r["episode__number"]): r for r in (
        moving["segments"].values("episode__season__number", "episode__number")
        .annotate(lines=Count("pk"), seconds=Sum(F("end") - F("start"))).order_by())}
    labels: dict[tuple, list[str]] = {}
    for row in moving["speakers"].values("episode__season__number", "episode__number", "job_id", "label"):
        key = (row["episode__season__number"], row["episode__number"])
        labels.setdefault(key, []).append(f"job {row['job_id']} {row['label']}")
    episodes = [{"season": k[0], "episode": k[1], "lines": (lines.get(k) or {}).get("lines", 0),
                 "seconds": round((lines.get(k) or {}).get("seconds") or 0.0, 1), "labels": labels.get(k, [])}
                for k in sorted(set(lines) | set(labels))]
    return MergePreview(source=source, target=target, counts=counts, episodes=episodes,
                        refs=list(moving["refs"]),
                        embedding_models=sorted(set(moving["snapshots"].values_list("model_id", flat=True))))


def _fields(character: Character) -> dict:
    return {"code": character.code, "merged_into": character.merged_into_id,
            **{f: getattr(character, f) for f in CHARACTER_FIELDS}}


def _lock_pair(series_id: int, source_id: int, target_id: int) -> tuple[Series, Character, Character]:
    series = Series.objects.select_for_update().filter(pk=series_id).first()
    rows = {c.pk: c for c in Character.objects.select_for_update().filter(pk__in=[source_id, target_id])}
    if series is None or source_id not in rows or target_id not in rows:
        raise NotFound("a character of this merge was deleted meanwhile")
    return series, rows[source_id], rows[target_id]


def character_merge(*, actor, source: Character, target: Character, context=None) -> CharacterMerge:
    """Admins only: source becomes an alias of target, and everything of source moves to target."""
    require(actor, "voices.merge_character", source)
    character_merge_check(source, target)  # early, clear refusals; checked again under the locks
    with transaction.atomic():
        series, source, target = _lock_pair(source.series_id, source.pk, target.pk)
        character_merge_check(source, target)
        _check_no_active_jobs(series, f"merging {source.code} into {target.code}")
        before = {"source": _fields(source), "target": _fields(target),
                  "target_snapshots": sorted(EmbeddingSnapshot.objects.filter(character=target)
                                             .values_list("pk", flat=True)),
                  "source_embeddings": (dump_rows(source.pk) or b"").decode("ascii")}
        merge = CharacterMerge(series=series, source=source, target=target, actor=actor, before=before,
                               target_embeddings=dump_rows(target.pk))
        moved = {}
        for kind, qs in _moving_querysets(source.pk).items():
            moved[kind] = sorted(qs.values_list("pk", flat=True))
            _model_of(kind).objects.filter(pk__in=moved[kind]).update(character=target)
        merge.moved = moved
        merge.save()
        source.merged_into = target
        source.save(update_fields=["merged_into"])
        rebuild_mean(target.pk)
        rebuild_mean(source.pk)  # no snapshots left: an alias has no voice of its own
        audit.record(actor, "character.merge", source, context=context,
                     old={"source": before["source"], "target": before["target"]},
                     new={"merge": merge.pk, "merged_into": target.code, "moved": moved})
    return merge


def undoable_merges(series: Series) -> list[CharacterMerge]:
    """Merges an admin may undo now: not undone, the source still an alias of the target, and the
    target not itself merged away since (undo the later merge first)."""
    merges = (CharacterMerge.objects.filter(series=series, undone__isnull=True)
              .select_related("source", "target", "actor").order_by("-created", "-id"))
    out, seen = [], set()
    for merge in merges:
        if merge.source_id in seen:
            continue  # only the latest merge of a source
        seen.add(merge.source_id)
        if merge.source.merged_into_id == merge.target_id and not merge.target.merged_into_id:
            out.append(merge)
    return out


def _restore_means(character_id: int, token, snapshots_then: list[int] | None) -> None:
    """The mean rows as they were, when the character's snapshots are the same as then; else (a later
    episode added one) the mean of what it has now."""
    now = sorted(EmbeddingSnapshot.objects.filter(character_id=character_id).values_list("pk", flat=True))
    if snapshots_then is None or now == snapshots_then:
        restore_rows(character_id, token or None)
    else:
        rebuild_mean(character_id)


def character_merge_undo(*, actor, merge: CharacterMerge, context=None) -> CharacterMerge:
    """Admins only: move back exactly the rows that moved, restore both characters' fields and means."""
    require(actor, "voices.merge_character", merge)
    with transaction.atomic():
        merge = CharacterMerge.objects.select_for_update().filter(pk=merge.pk).first()
        if merge is None:
            raise NotFound("the merge record was deleted meanwhile")
        series, source, target = _lock_pair(merge.series_id, merge.source_id, merge.target_id)
        if merge.undone:
            raise Conflict(f"merge {merge.pk} was already undone", fields={"merge": "undone"})
        latest = CharacterMerge.objects.filter(source=source, undone__isnull=True).order_by("-created", "-id").first()
        if latest is None or latest.pk != merge.pk or source.merged_into_id != target.pk:
            raise Conflict(f"merge {merge.pk} is not the latest merge of {source.code}", fields={"merge": "not latest"})
        if target.merged_into_id:
            raise Conflict(f"{target.code} was merged into another character since; undo that merge first",
                           fields={"merge": "target merged since"})
        _check_no_active_jobs(series, f"undoing the merge of {source.code}")
        back = {}
        for kind in MOVED_KINDS:
            ids = merge.moved.get(kind, [])
            # only rows still on the target: a line or ref deleted since stays deleted
            back[kind] = _model_of(kind).objects.filter(pk__in=ids, character_id=target.pk).update(character=source)
        # the merge changed only the source's alias link: edits made since (a rename) stay
        source.merged_into_id = merge.before["source"]["merged_into"]
        source.save(update_fields=["merged_into"])
        moved_snaps = sorted(merge.moved.get("snapshots", []))
        _restore_means(target.pk, merge.target_embeddings, merge.before.get("target_snapshots"))
        source_token = merge.before.get("source_embeddings") or ""
        _restore_means(source.pk, source_token.encode("ascii") if source_token else None, moved_snaps)
        merge.undone, merge.undone_by = timezone.now(), actor
        merge.save(update_fields=["undone", "undone_by"])
        audit.record(actor, "character.merge_undo", source, context=context,
                     old={"merge": merge.pk, "merged_into": target.code},
                     new={"merged_into": None, "moved_back": back,
                          "source": _fields(source), "target": _fields(target)})
    return merge
