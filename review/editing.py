"""Editors' writes to one line: edit the text, approve, lock/unlock.

Optimistic concurrency: every write names the `version` the editor started from. Inside the
transaction the row is locked (select_for_update) and a version that moved on is refused with a 409
that carries the line as it is now, so the page can show the other person's text beside the
editor's; nothing is written. Each accepted write bumps the version, keeps a SegmentRevision and
writes an audit row, all in one transaction.
"""
from __future__ import annotations

import re

from django.db import transaction

from dubsite import audit
from dubsite.errors import Conflict, Invalid, NotFound
from dubsite.roles import require

from .models import Segment, SegmentRevision

__all__ = ["TEXT_MAX", "check_target_text", "segment_edit", "segment_approve", "segment_lock",
           "lock_for_write", "do_edit", "current_state"]

TEXT_MAX = 2000
# Control characters (tab and newline included): a spoken line is one line of text, and PostgreSQL refuses NUL.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_target_text(text: str) -> str:
    """The text as it will be stored (stripped), or Invalid with the reason."""
    if not isinstance(text, str):
        raise Invalid("the text must be a string", fields={"target_text": "must be a string"})
    text = text.strip()
    if not text:
        raise Invalid("the text must not be empty", fields={"target_text": "must not be empty"})
    if len(text) > TEXT_MAX:
        raise Invalid(f"the text is longer than {TEXT_MAX} characters",
                      fields={"target_text": f"at most {TEXT_MAX} characters"})
    if _CONTROL.search(text):
        raise Invalid("the text must not contain control characters (tab, newline…)",
                      fields={"target_text": "must not contain control characters"})
    return text


def current_state(segment: Segment) -> dict:
    """The line now and who changed it last (the newest revision; None for the pipeline)."""
    last = (SegmentRevision.objects.filter(segment=segment).select_related("editor").order_by("-version").first())
    return {
        "id": segment.pk, "version": segment.version, "target_text": segment.target_text,
        "approved": segment.approved, "locked": segment.locked,
        "changed_by": last.editor.get_username() if last and last.editor_id else None,
        "changed_at": last.time.isoformat() if last else None,
    }


def lock_for_write(segment: Segment, version: int) -> Segment:
    """The row, locked for this transaction, if it is still at `version`; else a 409 with its state."""
    row = Segment.objects.select_for_update().filter(pk=segment.pk).first()
    if row is None:
        raise NotFound(f"line {segment.pk} was deleted meanwhile")
    if row.version != version:
        raise Conflict(f"line {row.index} was changed meanwhile (you edited version {version}, it is now "
                       f"version {row.version}); nothing was saved", code="stale_version",
                       fields={"version": "stale"}, current=current_state(row))
    return row


def _revise(row: Segment, actor, note: str) -> None:
    row.version += 1
    row.save(update_fields=["target_text", "approved", "locked", "version", "updated"])
    SegmentRevision.objects.create(segment=row, version=row.version, editor=actor if actor.is_authenticated else None,
                                   source_text=row.source_text, target_text=row.target_text, approved=row.approved,
                                   locked=row.locked, note=note)


def do_edit(row: Segment, *, actor, text: str, note: str, action: str, context=None, extra: dict | None = None) -> bool:
    """Write a checked text on a row locked by `lock_for_write`. False when the text is the same
    (nothing written). A locked line refuses: its text is what TTS speaks until someone unlocks it."""
    if row.target_text == text:
        return False  # saving the text it has changes nothing, locked or not
    if row.locked:
        raise Conflict(f"line {row.index} is locked; unlock it before editing its text", code="locked",
                       fields={"target_text": "line is locked"}, current=current_state(row))
    old = {"target_text": row.target_text, "approved": row.approved, "version": row.version}
    row.target_text = text
    row.approved = False  # a changed text needs approving again
    _revise(row, actor, note)
    audit.record(actor, action, row, old=old,
                 new={"target_text": text, "approved": False, "version": row.version, **(extra or {})},
                 context=context)
    return True


def segment_edit(*, actor, segment: Segment, target_text: str, version: int, context=None) -> Segment:
    require(actor, "review.change_segment", segment)
    text = check_target_text(target_text)
    with transaction.atomic():
        row = lock_for_write(segment, version)
        do_edit(row, actor=actor, text=text, note="edited", action="segment.edit", context=context)
    return row


def segment_approve(*, actor, segment: Segment, version: int, approved: bool = True, context=None) -> Segment:
    require(actor, "review.approve_segment", segment)
    with transaction.atomic():
        row = lock_for_write(segment, version)
        if row.approved == approved:
            return row  # nothing to write, nothing to audit
        row.approved = approved
        _revise(row, actor, "approved" if approved else "approval withdrawn")
        audit.record(actor, "segment.approve" if approved else "segment.unapprove", row,
                     old={"approved": not approved, "version": row.version - 1},
                     new={"approved": approved, "version": row.version}, context=context)
    return row


def segment_lock(*, actor, segment: Segment, version: int, locked: bool = True, context=None) -> Segment:
    """Lock and unlock need the same permission: unlocking lets reruns overwrite the text."""
    require(actor, "review.lock_segment", segment)
    with transaction.atomic():
        row = lock_for_write(segment, version)
        if row.locked == locked:
            return row
        row.locked = locked
        _revise(row, actor, "locked" if locked else "unlocked")
        audit.record(actor, "segment.lock" if locked else "segment.unlock", row,
                     old={"locked": not locked, "version": row.version - 1},
                     new={"locked": locked, "version": row.version}, context=context)
    return row
