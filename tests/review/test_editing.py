"""Editing a line: optimistic concurrency (a stale save is refused with the other person's text and
writes nothing), locks, approval, validation, revisions and audit rows."""
from __future__ import annotations

import threading

import pytest
from django.db import connection

from dubsite.errors import Conflict, Forbidden, Invalid
from dubsite.models import AuditEvent
from review.editing import segment_approve, segment_edit, segment_lock
from review.models import Segment, SegmentRevision
from tests.factories import make_user

from .lines import make_job_lines

pytestmark = pytest.mark.django_db


def test_edit_bumps_version_writes_revision_clears_approval_and_audits(tmp_path):
    _, (seg, *_) = make_job_lines(tmp_path)
    editor = make_user("editor")
    Segment.objects.filter(pk=seg.pk).update(approved=True)
    segment_edit(actor=editor, segment=seg, target_text="  Hallo allerseits.  ", version=1)
    seg.refresh_from_db()
    assert (seg.target_text, seg.version, seg.approved) == ("Hallo allerseits.", 2, False)
    rev = SegmentRevision.objects.get(segment=seg, version=2)
    assert (rev.editor, rev.note, rev.target_text) == (editor, "edited", "Hallo allerseits.")
    event = AuditEvent.objects.get(action="segment.edit")
    assert event.actor == editor and event.target_id == str(seg.pk)
    assert event.old["target_text"] == "Hallo zusammen." and event.new["target_text"] == "Hallo allerseits."


def test_stale_save_is_refused_with_the_other_persons_text_and_writes_nothing(tmp_path):
    _, (seg, *_) = make_job_lines(tmp_path)
    first, second = make_user("editor"), make_user("editor")
    segment_edit(actor=first, segment=seg, target_text="Erste Fassung.", version=1)
    with pytest.raises(Conflict) as caught:
        segment_edit(actor=second, segment=seg, target_text="Zweite Fassung.", version=1)
    assert caught.value.status == 409 and caught.value.code == "stale_version"
    current = caught.value.current
    assert current["target_text"] == "Erste Fassung." and current["version"] == 2
    assert current["changed_by"] == first.username and current["changed_at"]
    seg.refresh_from_db()
    assert (seg.target_text, seg.version) == ("Erste Fassung.", 2)
    assert SegmentRevision.objects.filter(segment=seg).count() == 2
    assert AuditEvent.objects.filter(action="segment.edit").count() == 1


@pytest.mark.parametrize("text,reason", [("   ", "must not be empty"), ("x" * 2001, "at most 2000 characters"),
                                         ("line\none", "control characters"), ("tab\there", "control characters"),
                                         ("nul\x00", "control characters")])
def test_invalid_texts_are_refused(tmp_path, text, reason):
    _, (seg, *_) = make_job_lines(tmp_path)
    with pytest.raises(Invalid) as caught:
        segment_edit(actor=make_user("editor"), segment=seg, target_text=text, version=1)
    assert reason in caught.value.fields["target_text"]
    seg.refresh_from_db()
    assert seg.version == 1


def test_a_locked_line_refuses_edits_until_unlocked(tmp_path):
    _, (seg, *_) = make_job_lines(tmp_path)
    editor = make_user("editor")
    segment_lock(actor=editor, segment=seg, version=1, locked=True)
    with pytest.raises(Conflict) as caught:
        segment_edit(actor=editor, segment=seg, target_text="Neu.", version=2)
    assert caught.value.code == "locked"
    seg.refresh_from_db()
    assert (seg.target_text, seg.version, seg.locked) == ("Hallo zusammen.", 2, True)
    segment_lock(actor=editor, segment=seg, version=2, locked=False)
    segment_edit(actor=editor, segment=seg, target_text="Neu.", version=3)
    seg.refresh_from_db()
    assert (seg.target_text, seg.version) == ("Neu.", 4)


def test_unlock_needs_the_lock_permission_and_is_audited(tmp_path):
    _, (seg, *_) = make_job_lines(tmp_path)
    editor = make_user("editor")
    segment_lock(actor=editor, segment=seg, version=1, locked=True)
    for role in ("viewer", "operator"):
        with pytest.raises(Forbidden):
            segment_lock(actor=make_user(role), segment=seg, version=2, locked=False)
    seg.refresh_from_db()
    assert seg.locked and seg.version == 2
    segment_lock(actor=editor, segment=seg, version=2, locked=False)
    event = AuditEvent.objects.get(action="segment.unlock")
    assert event.actor == editor and event.old == {"locked": True, "version": 2}
    assert event.new == {"locked": False, "version": 3}
    assert SegmentRevision.objects.get(segment=seg, version=3).note == "unlocked"


def test_approve_is_versioned_and_a_repeat_writes_nothing(tmp_path):
    _, (seg, *_) = make_job_lines(tmp_path)
    editor = make_user("editor")
    segment_approve(actor=editor, segment=seg, version=1, approved=True)
    segment_approve(actor=editor, segment=seg, version=2, approved=True)
    seg.refresh_from_db()
    assert seg.approved and seg.version == 2
    assert AuditEvent.objects.filter(action="segment.approve").count() == 1
    with pytest.raises(Conflict):
        segment_approve(actor=editor, segment=seg, version=1, approved=False)
    with pytest.raises(Forbidden):
        segment_approve(actor=make_user("operator"), segment=seg, version=2, approved=False)


@pytest.mark.django_db(transaction=True)
def test_two_editors_saving_at_once_exactly_one_wins(tmp_path):
    """Real threads, each with its own connection and transaction (PostgreSQL: row locks; SQLite:
    IMMEDIATE transactions): the loser sees the winner's text and nothing of the loser is written."""
    _, (seg, *_) = make_job_lines(tmp_path)
    editors = [make_user("editor"), make_user("editor")]
    barrier, results = threading.Barrier(2), {}

    def save(editor, text):
        try:
            barrier.wait(timeout=10)
            segment_edit(actor=editor, segment=seg, target_text=text, version=1)
            results[text] = "saved"
        except Conflict as exc:
            results[text] = exc.current
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(e, f"Fassung {i}.")) for i, e in enumerate(editors)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    winners = [text for text, result in results.items() if result == "saved"]
    assert len(results) == 2 and len(winners) == 1
    loser = next(text for text in results if text not in winners)
    assert results[loser]["target_text"] == winners[0] and results[loser]["version"] == 2
    seg.refresh_from_db()
    assert (seg.target_text, seg.version) == (winners[0], 2)
    assert list(SegmentRevision.objects.filter(segment=seg).values_list("version", flat=True)) == [1, 2]
