"""Revision history with word differences, and restoring an older text as a new edit."""
from __future__ import annotations

import pytest

from dubsite.errors import Conflict, Forbidden, NotFound
from dubsite.models import AuditEvent
from review.editing import segment_edit, segment_lock
from review.revisions import revision_history, segment_restore, word_diff
from review.models import SegmentRevision
from tests.factories import make_user

from .lines import make_job_lines

pytestmark = pytest.mark.django_db


def test_word_diff_structured_ops():
    assert word_diff("the old cat sat", "the new cat sat down") == [
        ("equal", "the"), ("delete", "old"), ("insert", "new"), ("equal", "cat sat"), ("insert", "down")]
    assert word_diff("", "Hallo") == [("insert", "Hallo")]
    assert word_diff("same", "same") == [("equal", "same")]


def test_history_lists_who_when_and_the_differences(tmp_path):
    _, (seg, *_) = make_job_lines(tmp_path)
    editor = make_user("editor")
    segment_edit(actor=editor, segment=seg, target_text="Hallo ihr alle.", version=1)
    history = revision_history(user=make_user("viewer"), segment=seg)
    assert [h.version for h in history] == [1, 2]
    assert history[0].editor is None and history[0].note == "generated"
    assert history[0].diff == [("insert", "Hallo zusammen.")]
    assert history[1].editor == editor.username and history[1].note == "edited" and history[1].time
    assert history[1].diff == [("equal", "Hallo"), ("delete", "zusammen."), ("insert", "ihr alle.")]


def test_restore_brings_back_an_older_text_as_a_new_revision(tmp_path):
    _, (seg, *_) = make_job_lines(tmp_path)
    editor = make_user("editor")
    segment_edit(actor=editor, segment=seg, target_text="Falsch.", version=1)
    segment_restore(actor=editor, segment=seg, revision_version=1, version=2)
    seg.refresh_from_db()
    assert (seg.target_text, seg.version) == ("Hallo zusammen.", 3)
    rev = SegmentRevision.objects.get(segment=seg, version=3)
    assert rev.note == "restored from version 1" and rev.editor == editor
    event = AuditEvent.objects.get(action="segment.restore")
    assert event.new["restored_from"] == 1 and event.old["target_text"] == "Falsch."


def test_restore_follows_the_edit_rules(tmp_path):
    _, (seg, *_) = make_job_lines(tmp_path)
    editor = make_user("editor")
    segment_edit(actor=editor, segment=seg, target_text="Falsch.", version=1)
    with pytest.raises(Conflict):  # stale
        segment_restore(actor=editor, segment=seg, revision_version=1, version=1)
    with pytest.raises(NotFound):
        segment_restore(actor=editor, segment=seg, revision_version=9, version=2)
    with pytest.raises(Forbidden):
        segment_restore(actor=make_user("viewer"), segment=seg, revision_version=1, version=2)
    segment_lock(actor=editor, segment=seg, version=2, locked=True)
    with pytest.raises(Conflict) as caught:
        segment_restore(actor=editor, segment=seg, revision_version=1, version=3)
    assert caught.value.code == "locked"
    seg.refresh_from_db()
    assert (seg.target_text, seg.version) == ("Falsch.", 3)
