"""Every admin changelist × role, every admin page once, read-only audit/stage runs, job actions."""
from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from dubsite.models import AuditEvent
from jobs.models import Job, JobState, Pass
from tests.factories import make_episode, make_user

pytestmark = pytest.mark.django_db

ALL = {"viewer", "operator", "editor", "admin"}
# model label -> roles that may open its changelist (everyone else: 403)
CHANGELISTS = {
    "series.series": ALL, "series.season": ALL, "series.episode": ALL, "series.character": ALL,
    "jobs.job": ALL, "jobs.pass": ALL, "jobs.stagerun": ALL, "jobs.jobevent": ALL,
    "review.segment": ALL, "review.segmentrevision": ALL,
    "voices.voiceref": {"operator", "editor", "admin"},  # voice data: not for viewers
    "voices.episodespeaker": ALL,  # who speaks as whom, not voice data
    "voices.charactermerge": {"admin"}, "voices.characterembedding": {"admin"},
    "voices.embeddingsnapshot": {"admin"},
    "dubsite.auditevent": {"admin"}, "dubsite.apitoken": {"admin"},
    "auth.user": {"admin"}, "auth.group": {"admin"},
}


def changelist(label: str) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_changelist")


def test_every_registered_model_is_in_the_matrix():
    ours = {m._meta.label_lower for m in admin.site._registry if m._meta.app_label in
            {"series", "jobs", "review", "voices", "dubsite", "auth"}}
    assert ours == set(CHANGELISTS)


@pytest.mark.parametrize("role", ["anonymous", "viewer", "operator", "editor", "admin"])
def test_changelist_matrix(role):
    client = Client()
    if role != "anonymous":
        client.force_login(make_user(role))
    for label, allowed in CHANGELISTS.items():
        response = client.get(changelist(label))
        if role == "anonymous":
            assert response.status_code == 302 and "/admin/login/" in response["Location"], label
        else:
            assert response.status_code == (200 if role in allowed else 403), (label, role)


def test_every_admin_page_opens_for_an_admin(tmp_path):
    episode = make_episode(tmp_path)
    job = Job.objects.create(episode=episode)
    Pass.objects.create(job=job, number=1)
    client = Client()
    client.force_login(make_user("admin"))
    for model, model_admin in admin.site._registry.items():
        label = model._meta
        url = reverse(f"admin:{label.app_label}_{label.model_name}_changelist")
        page = client.get(url)
        assert page.status_code == 200, url
        assert b'rel="icon"' in page.content, url  # else the browser asks /favicon.ico and logs a 404
        assert client.get(url + "?q=x").status_code == 200, url
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(f"admin:{label.app_label}_{label.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change


def test_audit_events_are_read_only_even_for_admins():
    from django.db import transaction

    with transaction.atomic():
        event = AuditEvent.objects.create(action="x.y", actor_name="system")
    client = Client()
    client.force_login(make_user("admin"))
    assert client.get(reverse("admin:dubsite_auditevent_change", args=[event.pk])).status_code == 200
    assert client.post(reverse("admin:dubsite_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:dubsite_auditevent_add")).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_changelists_do_not_grow_queries_with_rows(tmp_path, django_assert_max_num_queries):
    for _ in range(5):
        Job.objects.create(episode=make_episode(tmp_path))
    client = Client()
    client.force_login(make_user("admin"))
    with django_assert_max_num_queries(12):
        assert client.get(changelist("jobs.job")).status_code == 200


@pytest.mark.parametrize("role,allowed", [("operator", True), ("admin", True), ("viewer", False), ("editor", False)])
def test_job_admin_actions(role, allowed, tmp_path):
    queued = Job.objects.create(episode=make_episode(tmp_path))
    failed = Job.objects.create(episode=make_episode(tmp_path), state=JobState.FAILED)
    client = Client()
    client.force_login(make_user(role))
    url = changelist("jobs.job")
    client.post(url, {"action": "cancel_jobs", "_selected_action": [queued.pk]})
    client.post(url, {"action": "retry_jobs", "_selected_action": [failed.pk]})
    queued.refresh_from_db()
    failed.refresh_from_db()
    assert (queued.state == JobState.CANCELLED) is allowed
    assert (failed.state == JobState.QUEUED) is allowed
    assert AuditEvent.objects.filter(action__in=["job.cancel", "job.retry"]).count() == (2 if allowed else 0)
