"""Character create/update (rename, notes, lock, a saved voice that must exist here) and delete
(admins; scrubs refs and their blobs, embeddings, snapshots; refused while a job runs)."""
from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from dubsite.errors import Conflict, Forbidden, Invalid
from dubsite.models import AuditEvent
from jobs.models import Job, JobState
from review.models import Segment
from series.models import Character
from series.services import character_create, character_update
from tests.factories import make_series, make_user
from voices.characters import character_delete
from voices.models import CharacterEmbedding, EmbeddingSnapshot, EpisodeSpeaker, VoiceRef

from .memory import populated

pytestmark = pytest.mark.django_db


def test_update_sets_the_new_fields_keeps_the_origin_marker_and_audits_changes_only():
    series = make_series(slug="upd")
    character = character_create(actor=None, series=series, voice_settings={"origin": {"job": 1, "label": "S1"}})
    editor = make_user("editor")
    character_update(actor=editor, character=character, display_name=" Anna ", notes="the lead",
                     voice_locked=True, voice="espeak:f3:p=70:s=165:g=f")
    character.refresh_from_db()
    assert (character.display_name, character.notes, character.voice_locked) == ("Anna", "the lead", True)
    assert character.voice_settings == {"origin": {"job": 1, "label": "S1"}, "voice": "espeak:f3:p=70:s=165:g=f"}
    event = AuditEvent.objects.get(action="character.update")
    assert event.old["display_name"] == "" and event.new["voice_locked"] is True
    character_update(actor=editor, character=character, display_name="Anna")  # nothing changes
    assert AuditEvent.objects.filter(action="character.update").count() == 1
    character_update(actor=editor, character=character, voice="")
    character.refresh_from_db()
    assert character.voice_settings == {"origin": {"job": 1, "label": "S1"}}


@pytest.mark.parametrize("key", ["espeak:nobody", "festival:kal", "espeak:f3:p=140", "piper:en_US-joe-medium:st=+40",
                                 "not a voice:x:y"])
def test_a_voice_that_is_not_installed_here_is_refused(key):
    character = character_create(actor=None, series=make_series(slug="v"))
    with pytest.raises(Invalid) as err:
        character_update(actor=make_user("editor"), character=character, voice=key)
    assert "voice" in err.value.fields


def test_create_with_a_voice_and_permission():
    series = make_series(slug="new")
    with pytest.raises(Forbidden):
        character_create(actor=make_user("operator"), series=series, display_name="X")
    character = character_create(actor=make_user("editor"), series=series, display_name="Bo", notes="n",
                                 voice="piper:en_US-joe-medium")
    assert character.voice_settings == {"voice": "piper:en_US-joe-medium"} and character.code == "CHAR_0001"


def test_delete_scrubs_refs_blobs_embeddings_snapshots_and_flags_speakers(tmp_path, isolated_storage,
                                                                         django_capture_on_commit_callbacks):
    series = make_series(slug="del")
    a, b, c = populated(series, tmp_path)
    blobs = list(VoiceRef.objects.filter(character=a).values_list("blob", flat=True))
    assert blobs and all(default_storage.exists(name) for name in blobs)
    with pytest.raises(Forbidden):
        character_delete(actor=make_user("editor"), character=a)
    with django_capture_on_commit_callbacks(execute=True):
        counts = character_delete(actor=make_user("admin"), character=a)
    assert counts == {"lines": 5, "episode_speakers": 2, "refs": 1, "embeddings": 1, "snapshots": 2}
    assert not Character.objects.filter(pk=a.pk).exists()
    assert not VoiceRef.objects.filter(character_id=a.pk).exists()
    assert not CharacterEmbedding.objects.filter(character_id=a.pk).exists()
    assert not EmbeddingSnapshot.objects.filter(character_id=a.pk).exists()
    assert not any(default_storage.exists(name) for name in blobs)  # blobs go after the commit
    assert Segment.objects.filter(character__isnull=True).count() == 5  # lines keep their text
    orphans = EpisodeSpeaker.objects.filter(character__isnull=True)
    assert orphans.count() == 2 and all(s.flagged and "deleted" in s.reason for s in orphans)
    assert VoiceRef.objects.filter(character=b).count() == 1  # others untouched
    event = AuditEvent.objects.get(action="character.delete")
    assert event.old["code"] == a.code and event.old["refs"] == 1 and event.new == {"deleted": [a.pk]}


def test_delete_takes_the_aliases_and_is_refused_while_a_job_runs(tmp_path):
    from voices.merge import character_merge

    series = make_series(slug="del2")
    a, b, _ = populated(series, tmp_path)
    admin = make_user("admin")
    character_merge(actor=admin, source=b, target=a)
    job = Job.objects.create(episode=a.segments.first().episode, state=JobState.QUEUED)
    with pytest.raises(Conflict, match="queued or running"):
        character_delete(actor=admin, character=a)
    Job.objects.filter(pk=job.pk).update(state=JobState.CANCELLED)
    character_delete(actor=admin, character=a)
    assert not Character.objects.filter(pk__in=[a.pk, b.pk]).exists()


def test_the_characters_page_reads_in_a_fixed_number_of_queries(tmp_path, django_assert_max_num_queries):
    """No query per character, alias, appearance or ref (the page lists a whole series)."""
    from django.test import Client

    from voices.merge import character_merge
    from .memory import episode, speak

    series = make_series(slug="many")
    a, b, _ = populated(series, tmp_path)
    character_merge(actor=make_user("admin"), source=b, target=a)
    client = Client()
    client.force_login(make_user("operator"))
    url = f"/series/{series.slug}/characters/"
    client.get(url)
    with django_assert_max_num_queries(12) as small:
        client.get(url)
    for n in range(6):
        speak(character_create(actor=None, series=series), episode(series, 4, n + 1), label="S1", lines=2, seed=n)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
