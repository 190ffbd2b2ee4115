"""Merge B into A moves every row of B and makes B an alias; undo restores the exact state.
Only admins merge; a merge into itself, across series, or of an alias is refused."""
from __future__ import annotations

import pytest

from dubsite.errors import Conflict, Forbidden, Invalid, Unauthorized
from dubsite.models import AuditEvent
from jobs.models import Job, JobState
from review.models import Segment
from series.services import character_create, character_update
from tests.factories import make_series, make_user
from voices.merge import character_merge, character_merge_preview, character_merge_undo, undoable_merges
from voices.models import CharacterEmbedding, EmbeddingSnapshot, EpisodeSpeaker, VoiceRef
from voices.vectors import unseal

from .memory import MODEL, populated, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def series():
    return make_series(slug="anna-show")


def test_merge_moves_everything_and_undo_restores_the_exact_state(series, tmp_path):
    a, b, c = populated(series, tmp_path)
    admin = make_user("admin")
    before = state(series)
    preview = character_merge_preview(user=admin, source=b, target=a)
    assert preview.counts == {"segments": 5, "speakers": 2, "refs": 1, "snapshots": 2}
    assert [(e["season"], e["episode"], e["lines"]) for e in preview.episodes] == [(1, 2, 1), (2, 1, 4)]

    merge = character_merge(actor=admin, source=b, target=a)
    b.refresh_from_db()
    assert b.merged_into == a
    for model in (Segment, EpisodeSpeaker, VoiceRef, EmbeddingSnapshot):
        assert not model.objects.filter(character=b).exists(), model
    assert Segment.objects.filter(character=a).count() == 10
    assert VoiceRef.objects.filter(character=a).count() == 2
    mean = CharacterEmbedding.objects.get(character=a, model_id=MODEL)
    assert mean.count == 4 and not CharacterEmbedding.objects.filter(character=b).exists()
    assert Segment.objects.filter(character=c).count() == 2  # bystanders untouched
    event = AuditEvent.objects.get(action="character.merge")
    assert event.old["source"]["display_name"] == "Anna (S2)" and event.new["merged_into"] == a.code
    assert undoable_merges(series) == [merge]

    character_merge_undo(actor=admin, merge=merge)
    after = state(series)
    for kind in before:
        assert after[kind] == before[kind], kind
    merge.refresh_from_db()
    assert merge.undone and merge.undone_by == admin and undoable_merges(series) == []
    assert AuditEvent.objects.filter(action="character.merge_undo", target_id=str(b.pk)).count() == 1
    with pytest.raises(Conflict, match="already undone"):
        character_merge_undo(actor=admin, merge=merge)


def test_a_second_merge_must_be_undone_first(series, tmp_path):
    a, b, c = populated(series, tmp_path)
    admin = make_user("admin")
    before = state(series)
    first = character_merge(actor=admin, source=b, target=a)
    second = character_merge(actor=admin, source=a, target=c)  # A (with B in it) turns out to be C
    assert undoable_merges(series) == [second]
    with pytest.raises(Conflict, match="undo that merge first"):
        character_merge_undo(actor=admin, merge=first)
    character_merge_undo(actor=admin, merge=second)
    character_merge_undo(actor=admin, merge=first)
    assert state(series) == before


def test_an_edit_made_after_the_merge_survives_its_undo(series, tmp_path):
    a, b, _ = populated(series, tmp_path)
    admin = make_user("admin")
    merge = character_merge(actor=admin, source=b, target=a)
    character_update(actor=admin, character=a, display_name="Anna Berg")
    character_merge_undo(actor=admin, merge=merge)
    a.refresh_from_db()
    assert a.display_name == "Anna Berg"


def test_undo_after_a_later_episode_keeps_its_snapshot_in_the_mean(series, tmp_path):
    from .memory import episode, speak

    a, b, _ = populated(series, tmp_path)
    admin = make_user("admin")
    merge = character_merge(actor=admin, source=b, target=a)
    speak(a, episode(series, 2, 2), label="S1", lines=1, seed=9)  # A matched again in a new episode
    character_merge_undo(actor=admin, merge=merge)
    assert CharacterEmbedding.objects.get(character=a).count == 3  # its two + the new one
    assert CharacterEmbedding.objects.get(character=b).count == 2


@pytest.mark.parametrize("role", [None, "viewer", "operator", "editor"])
def test_only_admins_merge_and_undo(series, tmp_path, role):
    a, b, _ = populated(series, tmp_path)
    user = make_user(role) if role else None
    with pytest.raises(Forbidden if role else Unauthorized):
        character_merge(actor=user, source=b, target=a)
    merge = character_merge(actor=make_user("admin"), source=b, target=a)
    with pytest.raises(Forbidden if role else Unauthorized):
        character_merge_undo(actor=user, merge=merge)
    b.refresh_from_db()
    assert b.merged_into == a


def test_refusals_self_cross_series_alias_and_busy(series, tmp_path):
    a, b, c = populated(series, tmp_path)
    admin = make_user("admin")
    with pytest.raises(Invalid, match="into itself"):
        character_merge(actor=admin, source=a, target=a)
    other = character_create(actor=None, series=make_series(slug="other-show"))
    with pytest.raises(Invalid, match="different series"):
        character_merge(actor=admin, source=other, target=a)
    character_merge(actor=admin, source=b, target=a)
    b.refresh_from_db()
    with pytest.raises(Conflict, match="already an alias"):
        character_merge(actor=admin, source=b, target=c)
    with pytest.raises(Conflict, match="already an alias"):
        character_merge(actor=admin, source=c, target=b)
    ep = a.segments.first().episode
    Job.objects.create(episode=ep, state=JobState.RUNNING)
    with pytest.raises(Conflict, match="queued or running"):
        character_merge(actor=admin, source=c, target=a)
    assert AuditEvent.objects.filter(action="character.merge").count() == 1
    assert unseal(CharacterEmbedding.objects.get(character=c).blob, 8).shape == (8,)
