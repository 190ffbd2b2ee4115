"""The catalog admin is no back door: a series' privacy mode and voice memory change only through
series_update (audited; privacy on deletes the refs), a character's merge target never changes
here and its other fields only through character_update, and deletes go through services or
are refused."""
from __future__ import annotations

import numpy as np
import pytest
from django import forms
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse

from dubsite.models import AuditEvent
from media.audio import save
from review.models import Segment
from series.models import Character, Episode, Season, Series
from series.services import character_create
from tests.factories import make_episode, make_series, make_user
from voices.models import VoiceRef
from voices.services import voice_ref_store

pytestmark = pytest.mark.django_db


def login(role: str) -> Client:
    client = Client()
    client.force_login(make_user(role))
    return client


def change_form(client: Client, url: str) -> dict:
    """What the admin's change form would post unchanged (its fields and inline management forms)."""
    response = client.get(url)
    assert response.status_code == 200
    form, data = response.context["adminform"].form, {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = field.prepare_value(value) if isinstance(field, forms.JSONField) else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({f"{inline.formset.prefix}-{k}": v for k, v in management.initial.items()})
    return data


def audits(action: str, target) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, target_id=str(target.pk)).order_by("id"))


def ref_of(character, tmp_path) -> VoiceRef:
    t = np.arange(3 * 22050) / 22050
    wav = save(tmp_path / "ref.wav", (0.3 * np.sin(2 * np.pi * 140 * t)).astype(np.float32), 22050)
    return voice_ref_store(actor=None, character=character, wav=wav, source="job")


def test_privacy_mode_from_the_admin_is_audited_and_deletes_the_refs(tmp_path, isolated_storage,
                                                                     django_capture_on_commit_callbacks):
    series = make_series(slug="quiet")
    ref = ref_of(character_create(actor=None, series=series), tmp_path)
    client = login("admin")
    url = reverse("admin:series_series_change", args=[series.pk])
    data = {**change_form(client, url), "privacy_mode": "on", "slug": "renamed", "created_by": ""}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    series.refresh_from_db()
    assert series.privacy_mode and series.slug == "quiet"  # slug is read-only here
    [update] = audits("series.update", series)
    assert update.old == {"privacy_mode": False} and update.new == {"privacy_mode": True}
    assert update.actor.groups.filter(name="admin").exists()
    assert not VoiceRef.objects.exists() and not default_storage.exists(ref.blob)
    assert audits("voice_ref.delete_all", series)


def test_an_operator_turning_voice_memory_off_in_the_admin_is_audited():
    series = make_series()
    client = login("operator")
    url = reverse("admin:series_series_change", args=[series.pk])
    response = client.post(url, {**change_form(client, url)} | {"voice_memory": ""})
    assert response.status_code == 302
    series.refresh_from_db()
    assert not series.voice_memory
    [update] = audits("series.update", series)
    assert update.new == {"voice_memory": False} and update.actor_name.startswith("operator")
    client.post(url, change_form(client, url))  # saving unchanged writes no audit row
    assert len(audits("series.update", series)) == 1


def test_adding_a_series_in_the_admin_goes_through_series_create():
    client = login("admin")
    url = reverse("admin:series_series_add")
    data = {"slug": "fresh", "title": "Fresh", "source_language": "en", "target_language": "en",
            "default_mode": "low", "voice_memory": "on", "seasons-TOTAL_FORMS": "0", "seasons-INITIAL_FORMS": "0"}
    assert client.post(url, data).status_code == 302
    series = Series.objects.get(slug="fresh")
    assert audits("series.create", series)[0].new["default_mode"] == "low"


def test_merged_into_cannot_be_set_in_the_admin_and_renames_are_audited():
    series = make_series()
    first, second = (character_create(actor=None, series=series) for _ in range(2))
    client = login("admin")
    url = reverse("admin:series_character_change", args=[second.pk])
    page = client.get(url).content.decode()
    assert "Characters page" in page and 'name="merged_into"' not in page
    data = {**change_form(client, url), "merged_into": str(first.pk), "display_name": "Ann", "code": "CHAR_0099"}
    assert client.post(url, data).status_code == 302
    second.refresh_from_db()
    assert second.merged_into_id is None and second.code == "CHAR_0002" and second.display_name == "Ann"
    [update] = audits("character.update", second)
    assert update.new["display_name"] == "Ann" and update.actor_name.startswith("admin")


def test_deletes_go_through_services_or_are_refused(tmp_path, isolated_storage, django_capture_on_commit_callbacks):
    episode = make_episode(tmp_path)
    series = episode.season.series
    character = character_create(actor=None, series=series)
    segment = Segment.objects.create(episode=episode, job_id=1, index=0, start=0, end=1)
    client = login("admin")
    for name, obj in (("series_character", character), ("series_season", episode.season),
                      ("review_segment", segment)):
        assert client.post(reverse(f"admin:{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
    assert Character.objects.filter(pk=character.pk).exists() and Season.objects.filter(pk=episode.season_id).exists()
    assert client.get(reverse("admin:series_episode_add")).status_code == 403
    assert client.get(reverse("admin:series_season_add")).status_code == 403
    assert client.get(reverse("admin:series_character_add")).status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:series_episode_delete", args=[episode.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Episode.objects.filter(pk=episode.pk).exists()
    [deleted] = audits("episode.delete", episode)
    assert deleted.old["number"] == episode.number and not default_storage.exists(episode.source_video.name)
