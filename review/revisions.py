"""A line's revision history with word-level differences, and restoring an older text."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from dubsite.errors import NotFound
from dubsite.roles import require

from .editing import check_target_text, do_edit, lock_for_write
from .models import Segment, SegmentRevision

__all__ = ["RevisionView", "word_diff", "revision_history", "segment_restore"]

DiffOp = tuple[str, str]  # ("equal" | "delete" | "insert", words joined by spaces)


@dataclass(frozen=True)
class RevisionView:
    version: int
    editor: str | None
    time: datetime
    note: str
    source_text: str
    target_text: str
    approved: bool
    locked: bool
    diff: list[DiffOp]  # the target text against the previous revision's (all "insert" for the first)


def word_diff(old: str, new: str) -> list[DiffOp]:
    """Word-level differences; a replacement is a delete then an insert, so a page can strike the
    old words and mark the new ones without knowing difflib's opcodes."""
    a, b = old.split(), new.split()
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            ops.append(("equal", " ".join(a[i1:i2])))
            continue
        if tag in ("delete", "replace"):
            ops.append(("delete", " ".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            ops.append(("insert", " ".join(b[j1:j2])))
    return ops


def revision_history(*, user, segment: Segment) -> list[RevisionView]:
    """Oldest first, each with its difference from the one before (one query)."""
    require(user, "review.view_segmentrevision", segment)
    views, previous = [], ""
    for rev in SegmentRevision.objects.filter(segment=segment).select_related("editor").order_by("version"):
        views.append(RevisionView(
            version=rev.version, editor=rev.editor.get_username() if rev.editor_id else None, time=rev.time,
            note=rev.note, source_text=rev.source_text, target_text=rev.target_text, approved=rev.approved,
            locked=rev.locked, diff=word_diff(previous, rev.target_text)))
        previous = rev.target_text
    return views


def segment_restore(*, actor, segment: Segment, revision_version: int, version: int, context=None) -> Segment:
    """Bring back an older revision's text as a new edit: the same permission, checks, locking and
    concurrency rule as `segment_edit`, so history only ever grows."""
    require(actor, "review.change_segment", segment)
    revision = SegmentRevision.objects.filter(segment=segment, version=revision_version).first()
    if revision is None:
        raise NotFound(f"line {segment.index} has no revision {revision_version}")
    text = check_target_text(revision.target_text)
    with transaction.atomic():
        row = lock_for_write(segment, version)
        do_edit(row, actor=actor, text=text, note=f"restored from version {revision_version}",
                action="segment.restore", context=context, extra={"restored_from": revision_version})
    return row
