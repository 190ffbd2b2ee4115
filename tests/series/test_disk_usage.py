"""Disk use per series: the real bytes, on the series page and the dashboard, from figures kept
on the rows (no storage listing per request, a fixed number of queries)."""
from __future__ import annotations

import numpy as np
import pytest
from django.template.defaultfilters import filesizeformat
from django.test import Client

from jobs.models import JobState, PassKind
from jobs.runner import run_job
from jobs.services import job_submit
from jobs.stages import STAGES_BY_KIND, JobFailure
from jobs.stages.extract import ExtractStage
from jobs.stages.separate import SeparateStage
from media.audio import save
from series.selectors import series_disk_usage
from series.services import character_create
from tests.conftest import files_under
from tests.factories import make_episode, make_series, make_user
from voices.services import voice_ref_store

pytestmark = pytest.mark.django_db


def fill(tmp_path, monkeypatch, slug: str):
    """Two jobs of a series: one succeeded (extract only, for speed), one failed with its work
    folder kept; and a series ref."""
    series = make_series(slug=slug)
    operator = make_user("operator")
    with monkeypatch.context() as m:
        m.setitem(STAGES_BY_KIND, PassKind.DUB, [ExtractStage()])
        ok = job_submit(actor=operator, episode=make_episode(tmp_path, series), mode="low", two_pass=False,
                        enqueue_task=False)
        assert run_job(ok.pk) == JobState.SUCCEEDED

    def stop(self, ctx):
        raise JobFailure("stop (test)")

    with monkeypatch.context() as m:
        m.setattr(SeparateStage, "run", stop)
        failed = job_submit(actor=operator, episode=make_episode(tmp_path, series), mode="low", two_pass=False,
                            enqueue_task=False)
        assert run_job(failed.pk) == JobState.FAILED
    rate = 22050
    wav = save(tmp_path / f"{slug}.wav", (0.3 * np.sin(np.arange(3 * rate) / rate * 900)).astype(np.float32), rate)
    voice_ref_store(actor=None, character=character_create(actor=None, series=series), wav=wav, source="job")
    return series, [ok, failed]


def test_disk_use_per_series_is_the_real_bytes_and_shown(tmp_path, monkeypatch, isolated_storage,
                                                         django_assert_max_num_queries):
    media, work = isolated_storage
    series, jobs = fill(tmp_path, monkeypatch, "used")
    other = make_series(slug="unused")
    viewer = make_user("viewer")
    usage = series_disk_usage(user=viewer, series_ids=[series.pk, other.pk])
    real = {"episode sources": files_under(media / "episodes" / "used"),
            "job artifacts": files_under(*(media / "jobs" / str(j.pk) for j in jobs)),
            "voice refs": files_under(media / "voices" / "used"),
            "work folders": files_under(work)}
    for category, files in real.items():
        assert files and usage[series.pk].categories[category][0] == sum(files.values()), category
    assert usage[series.pk].bytes == sum(files_under(media, work).values())
    assert usage[other.pk].bytes == 0

    # the page reads the rows, never the storage: it works (and is fast) with storage unreachable
    def unreachable(*args, **kwargs):
        raise AssertionError("the page listed storage")

    monkeypatch.setattr("django.core.files.storage.FileSystemStorage.listdir", unreachable)
    monkeypatch.setattr("django.core.files.storage.FileSystemStorage.size", unreachable)
    client = Client()
    client.force_login(viewer)
    page = client.get("/series/used/").content.decode()
    assert f"Disk use {filesizeformat(usage[series.pk].bytes)}" in page
    assert f"job artifacts {filesizeformat(usage[series.pk].categories['job artifacts'][0])}" in page

    for n in range(5):
        make_series(slug=f"more-{n}")
    with django_assert_max_num_queries(12):  # the same few queries however many series or files
        page = client.get("/").content.decode()
    assert filesizeformat(usage[series.pk].bytes) in page
