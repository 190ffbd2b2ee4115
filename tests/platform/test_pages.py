"""Web pages: viewers see, operators submit; forms carry CSRF; the job page shows the run."""
from __future__ import annotations

import pytest
from django.test import Client

from jobs.models import Job
from jobs.runner import run_job
from tests.factories import make_episode, make_series, make_user, make_video

pytestmark = pytest.mark.django_db


def login(role: str, **kw) -> Client:
    client = Client(**kw)
    client.force_login(make_user(role))
    return client


def test_dashboard_lists_series_and_jobs_with_progress(tmp_path):
    episode = make_episode(tmp_path, make_series(slug="show", title="The Show"))
    Job.objects.create(episode=episode, progress=0.5, state="running")
    page = login("viewer").get("/").content.decode()
    assert "The Show" in page and "running" in page and "width: 50%" in page
    assert "Submit a job" not in page


def test_viewer_cannot_open_submit_or_upload_forms(tmp_path):
    client = login("viewer")
    make_series(slug="show")
    assert client.get("/jobs/new/").status_code == 403
    assert client.get("/series/show/episodes/new/").status_code == 403
    assert client.get("/series/new/").status_code == 403


def test_operator_uploads_an_episode_and_submits_a_job_through_the_forms(tmp_path):
    client = login("operator", enforce_csrf_checks=True)
    client.get("/login/")
    csrf = client.cookies["csrftoken"].value
    response = client.post("/series/new/", {"slug": "show", "title": "Show", "source_language": "en",
                                            "target_language": "en", "default_mode": "low",
                                            "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    with open(make_video(tmp_path / "ep.mp4"), "rb") as fh:
        response = client.post("/series/show/episodes/new/", {"season": 1, "number": 1, "file": fh,
                                                              "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    from series.models import Episode

    episode = Episode.objects.get()
    response = client.post("/jobs/new/", {"episode": episode.pk, "mode": "low", "csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert client.post("/jobs/new/", {"episode": episode.pk, "mode": "low"}).status_code == 403  # no CSRF token


def test_upload_form_shows_the_validation_message(tmp_path):
    client = login("operator")
    make_series(slug="show")
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with open(bad, "rb") as fh:
        page = client.post("/series/show/episodes/new/", {"season": 1, "number": 1, "file": fh}).content.decode()
    assert "not a readable media file" in page


def test_job_page_shows_stages_events_players_timeline_and_downloads(tmp_path):
    episode = make_episode(tmp_path)
    job = Job.objects.create(episode=episode)
    run_job(job.pk)
    viewer = login("viewer")
    page = viewer.get(f"/jobs/{job.pk}/").content.decode()
    for stage in ("extract", "separate", "diarize", "asr", "tts", "mix", "mux"):
        assert f"<td>{stage}</td>" in page
    assert "Cancel" not in page and "Retry" not in page and "Rerun pass 2" not in page  # viewer, finished job
    assert f"/media/jobs/{job.pk}/pass1/dub.mkv" in page and "Dub (MP4)" in page
    assert f'<audio controls preload="none" src="/media/jobs/{job.pk}/audio_stereo.wav">' in page
    # who speaks when: QC's picture (source above, dub below) once QC ran, else the diarization alone
    assert f"/jobs/{job.pk}/qc/who.svg" in page or f"/jobs/{job.pk}/diarization.svg" in page
    svg = viewer.get(f"/jobs/{job.pk}/diarization.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    media_url = f"/media/jobs/{job.pk}/pass1/dub.mkv"
    assert viewer.get(media_url).status_code == 200
    assert Client().get(media_url).status_code == 302  # anonymous: to the login page
    operator_page = login("operator").get(f"/jobs/{job.pk}/").content.decode()
    assert "Rerun pass 2 (clone voices)" in operator_page


def test_media_route_refuses_paths_outside_the_media_root():
    client = login("admin")
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client.get("/media/%2e%2e/%2e%2e/etc/passwd").status_code == 404


def test_series_page_lists_episodes_and_characters(tmp_path):
    from series.models import Character

    series = make_series(slug="show")
    make_episode(tmp_path, series, number=3)
    Character.objects.create(series=series, code="CHAR_0001", display_name="Ayla")
    page = login("viewer").get("/series/show/").content.decode()
    assert "E3" in page and "CHAR_0001" in page and "Ayla" in page
