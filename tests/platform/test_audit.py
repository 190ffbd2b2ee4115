"""Every write leaves an audit row in the same transaction; audit rows cannot be deleted."""
from __future__ import annotations

import pytest
from django.db import transaction

from dubsite.audit import Context
from dubsite.models import AuditEvent
from jobs.models import JobState
from jobs.services import job_cancel, job_retry, job_submit
from series import services as catalog
from series.models import Series
from tests.factories import make_episode, make_series, make_user, make_video, upload_of

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_every_catalog_and_job_write_is_audited(tmp_path):
    op, admin, editor = make_user("operator"), make_user("admin"), make_user("editor")
    ctx = Context(op, request_id="req-1", ip="10.0.0.5")
    series = catalog.series_create(actor=op, slug="show", title="Show", context=ctx)
    catalog.series_update(actor=op, series=series, title="Show 2", context=ctx)
    episode = catalog.episode_create(actor=op, series=series, season_number=1, number=1,
                                     upload=upload_of(make_video(tmp_path / "a.mp4")), context=ctx)
    job = job_submit(actor=op, episode=episode, mode="low", enqueue_task=False, context=ctx)
    job_cancel(actor=op, job=job, context=ctx)
    job_retry(actor=op, job=job, enqueue_task=False, context=ctx)
    character = catalog.character_create(actor=admin, series=series, display_name="Hero")
    catalog.character_update(actor=editor, character=character, display_name="Heroine")
    job_cancel(actor=op, job=job, context=ctx)  # a series with a queued job cannot be deleted
    catalog.series_delete(actor=admin, series=series)
    assert actions() == ["series.create", "series.update", "season.create", "episode.create", "job.submit",
                         "job.cancel", "job.retry", "character.create", "character.update", "job.cancel",
                         "series.delete"]
    update = AuditEvent.objects.get(action="series.update")
    assert update.old == {"title": "Show"} and update.new == {"title": "Show 2"}
    assert update.actor == op and update.actor_name == op.username
    assert update.request_id == "req-1" and update.ip == "10.0.0.5"
    assert AuditEvent.objects.get(action="character.create").new["code"] == "CHAR_0001"


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_change_rolls_back_change_and_audit(monkeypatch):
    op = make_user("operator")
    series = make_series(slug="atomic", title="Before")

    def broken_create(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(AuditEvent.objects, "create", broken_create)
    with pytest.raises(RuntimeError):
        catalog.series_update(actor=op, series=series, title="After")
    monkeypatch.undo()
    assert Series.objects.get(pk=series.pk).title == "Before"
    assert not AuditEvent.objects.filter(action="series.update").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_write_after_the_audit_rolls_back_both(tmp_path):
    """A duplicate episode is refused after the season was created and audited: nothing stays."""
    op = make_user("operator")
    series = make_series(slug="dup")
    episode = make_episode(tmp_path, series, number=1)
    before = AuditEvent.objects.count()
    with pytest.raises(Exception):
        catalog.episode_create(actor=op, series=series, season_number=episode.season.number, number=1,
                               upload=upload_of(make_video(tmp_path / "b.mp4")))
    assert AuditEvent.objects.count() == before
    assert series.seasons.count() == 1


def test_audit_rows_are_append_only():
    with transaction.atomic():
        event = AuditEvent.objects.create(action="test.event", actor_name="system")
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="changed")
    event.action = "changed"
    with pytest.raises(PermissionError):
        event.save()
    assert AuditEvent.objects.filter(action="test.event").count() == 1


def test_audit_record_outside_a_transaction_is_a_programming_error():
    from dubsite import audit

    # the test itself runs inside pytest-django's transaction; leave it to check the guard
    conn = transaction.get_connection()
    saved = conn.in_atomic_block
    conn.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError):
            audit.record(None, "x.y")
    finally:
        conn.in_atomic_block = saved


def test_secrets_are_masked_in_audit_rows():
    from dubsite import audit

    with transaction.atomic():
        row = audit.record(None, "x.secret", new={"password": "hunter2", "nested": {"token": "t"}, "name": "n"})
    assert row.new == {"password": "***", "nested": {"token": "***"}, "name": "n"}
