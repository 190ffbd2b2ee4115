"""Review writes. The pipeline fills lines; editors' locks and edits survive reruns."""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Max

from dubsite import audit
from dubsite.storage import delete_names

from .models import Segment, SegmentRevision
from .takes import take_files

__all__ = ["segments_from_pipeline", "segment_add_flags", "match_by_overlap", "MIN_OVERLAP"]

# Two lines are the same line when they overlap by at least half of the shorter one.
MIN_OVERLAP = 0.5
NEEDS_RETRANSLATE = "needs_retranslate"
NOT_IN_SOURCE = "not_in_source"  # an edited line no new line overlaps: kept for an editor to decide


def _overlap_ratio(a_start: float, a_end: float, b_start: float, b_end: float) -> float:
    shorter = min(a_end - a_start, b_end - b_start)
    if shorter <= 0:
        return 0.0
    return max(0.0, min(a_end, b_end) - max(a_start, b_start)) / shorter


def match_by_overlap(new: list[tuple[float, float]], old: list[tuple[float, float]]) -> dict[int, int]:
    """{new index: old index}, one-to-one, by time overlap and never by position.

    Rule: every pair overlapping by ≥ MIN_OVERLAP of the shorter line is a candidate; candidates are
    taken greedily, best ratio first (ties: closer starts, then earlier lines), skipping a pair whose
    new or old line is already taken. Lines are short and rarely overlap more than their neighbours,
    so greedy gives the same answer as an optimal assignment in practice, in O(n log n + pairs).
    """
    order = sorted(range(len(old)), key=lambda j: old[j][0])
    starts = [old[j][0] for j in order]
    longest = max((e - s for s, e in old), default=0.0)
    candidates = []
    for i, (start, end) in enumerate(new):
        # an old line overlapping [start, end) starts before `end` and after `start - longest`
        for k in range(bisect.bisect_right(starts, start - longest), bisect.bisect_left(starts, end)):
            j = order[k]
            ratio = _overlap_ratio(start, end, *old[j])
            if ratio >= MIN_OVERLAP:
                candidates.append((-ratio, abs(start - old[j][0]), i, j))
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for _, _, i, j in sorted(candidates):
        if i not in matched and j not in taken:
            matched[i] = j
            taken.add(j)
    return matched


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


@dataclass
class _Planned:
    """One line of the result, before indices are given out in time order."""
    start: float
    end: float
    row: Segment | None = None  # an existing row of this job to update; None: create one
    values: dict = field(default_factory=dict)
    revision: dict | None = None  # a SegmentRevision to write (version/segment filled in later)


def segments_from_pipeline(*, episode, job_id: int, lines: list[dict], characters: dict[str, int],
                           previous_job_id: int | None = None) -> dict:
    """Write the job's lines, keeping people's work.

    New lines are matched to the existing lines by time overlap (`match_by_overlap`). The existing
    lines are this job's rows; when it has none yet, those of `previous_job_id` (the newest other job
    of the episode in the same target language), whose locked and edited lines are carried into new
    rows of this job. A locked line keeps its text, approval and times (overlapped or not; its
    character follows identify). An edited line (its newest revision has an editor) keeps the
    person's text; if the source text changed it is flagged `needs_retranslate` and the new machine
    translation is dropped ("Retranslate flagged" makes a new one on demand, without overwriting
    anything meanwhile). Other matched lines take the new text; unmatched new lines are added; an
    unmatched edited line is kept, flagged `not_in_source` (the new run no longer hears it: an
    editor decides); other unmatched unlocked lines are removed (or, when carrying, not carried).
    Indices follow time order.
    """
    counts = dict.fromkeys(("kept_locked", "kept_edited", "needs_retranslate", "not_in_source", "replaced",
                            "added", "removed", "carried"), 0)
    with transaction.atomic():
        own = list(Segment.objects.select_for_update().filter(job_id=job_id).order_by("index"))
        carrying = not own and previous_job_id is not None
        old = own or (list(Segment.objects.filter(job_id=previous_job_id).order_by("index")) if carrying else [])
        authors = _last_editors([s.pk for s in old])
        matched = match_by_overlap([(ln["start"], ln["end"]) for ln in lines], [(s.start, s.end) for s in old])
        taken = set(matched.values())
        carried_note = f"carried from job {previous_job_id}"
        plan: list[_Planned] = []

        for i, line in enumerate(lines):
            fresh = {"start": line["start"], "end": line["end"], "diar_label": line["speaker"],
                     "character_id": characters.get(line["speaker"]), "source_text": line["source_text"],
                     "target_text": line["target_text"], "flags": list(line.get("flags", []))}
            prev = old[matched[i]] if i in matched else None
            if prev is not None and prev.locked:  # exactly as it was; who speaks it follows identify
                kept = _as_values(prev) | {"diar_label": fresh["diar_label"], "character_id": fresh["character_id"]}
                plan.append(_carry_or_keep(prev, kept, carrying, carried_note, authors, counts))
                counts["kept_locked"] += 1
            elif prev is not None and prev.pk in authors:  # a person wrote this text: keep it
                # this run's flags, less needs_translation (the person's text stands); a pending
                # needs_retranslate stays until someone retranslates or edits the line
                flags = [f for f in fresh["flags"] if f not in ("needs_translation", NEEDS_RETRANSLATE)]
                values = fresh | {"target_text": prev.target_text, "approved": prev.approved}
                if not _same_text(prev.source_text, line["source_text"]):
                    values["approved"] = False  # approved for a source that is no longer said
                    counts["needs_retranslate"] += 1
                    flags.append(NEEDS_RETRANSLATE)
                elif NEEDS_RETRANSLATE in prev.flags:
                    flags.append(NEEDS_RETRANSLATE)
                values["flags"] = flags
                plan.append(_carry_or_keep(prev, values, carrying, carried_note, authors, counts))
                counts["kept_edited"] += 1
            elif prev is not None:
                values = fresh | {"approved": False}
                if carrying:
                    plan.append(_Planned(line["start"], line["end"], None, values, {"note": "generated"}))
                else:
                    plan.append(_Planned(line["start"], line["end"], prev, values,
                                         {"note": "regenerated by the pipeline"}))
                counts["replaced"] += 1
            else:
                plan.append(_Planned(line["start"], line["end"], None, fresh | {"approved": False},
                                     {"note": "generated"}))
                counts["added"] += 1

        for j, prev in enumerate(old):
            if j in taken:
                continue
            if prev.locked:  # no new line overlaps it: still the editors' line, kept as it is
                kept = _as_values(prev)
                if not carrying and prev.diar_label in characters:  # the same diarization: follow identify
                    kept["character_id"] = characters[prev.diar_label]
                plan.append(_carry_or_keep(prev, kept, carrying, carried_note, authors, counts))
                counts["kept_locked"] += 1
            elif prev.pk in authors:  # a person's text is never dropped: kept, flagged for a look
                kept = _as_values(prev)
                kept["flags"] = kept["flags"] + [NOT_IN_SOURCE] if NOT_IN_SOURCE not in kept["flags"] else kept["flags"]
                plan.append(_carry_or_keep(prev, kept, carrying, carried_note, authors, counts))
                counts["kept_edited"] += 1
                counts["not_in_source"] += 1
            else:
                counts["removed"] += 1

        _write(episode, job_id, own, plan)
        audit.record(None, "segments.generate", target_type="jobs.job", target_id=str(job_id),
                     new={**counts, "previous_job_id": previous_job_id if carrying else None})
    return counts


def _as_values(row: Segment) -> dict:
    return {"start": row.start, "end": row.end, "diar_label": row.diar_label, "character_id": row.character_id,
            "source_text": row.source_text, "target_text": row.target_text, "approved": row.approved,
            "locked": row.locked, "flags": list(row.flags)}


def _carry_or_keep(prev: Segment, values: dict, carrying: bool, note: str, authors: dict, counts: dict) -> _Planned:
    """A kept line: updated in place in this job, or copied into a new row of this job when carried.
    The carried revision names the person whose text it is, so the line stays theirs on the next rerun."""
    if not carrying:
        # The person's revision stays the newest one (no pipeline revision), so a later rerun still
        # knows the text is theirs; the version moves only when the source did (a stale save is refused).
        return _Planned(values["start"], values["end"], prev, values, None)
    counts["carried"] += 1
    values = values | {"locked": prev.locked}
    return _Planned(values["start"], values["end"], None, values, {"note": note, "editor_id": authors.get(prev.pk)})


def _last_editors(segment_ids: list[int]) -> dict[int, int]:
    """{segment id: editor id} for lines whose newest revision a person wrote."""
    newest: dict[int, int | None] = {}
    for seg_id, editor_id in (SegmentRevision.objects.filter(segment_id__in=segment_ids)
                              .order_by("segment_id", "version").values_list("segment_id", "editor_id")):
        newest[seg_id] = editor_id
    return {seg_id: editor_id for seg_id, editor_id in newest.items() if editor_id is not None}


def _write(episode, job_id: int, own: list[Segment], plan: list[_Planned]) -> None:
    """Delete, update and create in time order. (job_id, index) is unique at every statement: the
    surviving rows first move above every final index, then each takes its place 0..n-1."""
    keep = {p.row.pk for p in plan if p.row is not None}
    gone = [s.pk for s in own if s.pk not in keep]
    files = take_files(gone)  # the removed lines' takes go with them (rows CASCADE), their files after commit
    Segment.objects.filter(pk__in=gone).delete()
    if files:
        transaction.on_commit(lambda: delete_names(files))
    if keep:
        top = Segment.objects.filter(job_id=job_id).aggregate(top=Max("index"))["top"]
        # every value index + offset is above both every old index and every final index
        Segment.objects.filter(job_id=job_id).update(index=F("index") + top + 1 + len(plan))
    plan.sort(key=lambda p: (p.start, p.end, p.row.index if p.row is not None else -1))
    for index, p in enumerate(plan):
        fields = {k: v for k, v in p.values.items() if k != "locked" or p.row is None}
        if p.row is None:
            row = Segment.objects.create(episode=episode, job_id=job_id, index=index, **fields)
            SegmentRevision.objects.create(segment=row, version=row.version, source_text=row.source_text,
                                           target_text=row.target_text, approved=row.approved, locked=row.locked,
                                           **p.revision)
            continue
        row = p.row
        content_moved = p.revision is not None or not _same_text(row.source_text, fields["source_text"])
        for key, value in fields.items():
            setattr(row, key, value)
        row.index = index
        if content_moved:
            row.version += 1
        row.save()
        if p.revision is not None:
            SegmentRevision.objects.create(segment=row, version=row.version, source_text=row.source_text,
                                           target_text=row.target_text, approved=row.approved, locked=row.locked,
                                           **p.revision)


def segment_add_flags(*, segment_ids_flags: dict[int, list[str]], drop: set[str] = frozenset()) -> None:
    """Pipeline flags (e.g. `overrun`) on lines; metadata only, so the version does not move."""
    with transaction.atomic():
        for seg in Segment.objects.select_for_update().filter(pk__in=segment_ids_flags):
            flags = [f for f in seg.flags if f not in drop]
            flags += [f for f in segment_ids_flags[seg.pk] if f not in flags]
            if flags != seg.flags:
                Segment.objects.filter(pk=seg.pk).update(flags=flags)
