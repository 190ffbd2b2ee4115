"""Every API endpoint × anonymous / viewer / operator / editor / admin: allowed and refused codes."""
from __future__ import annotations

import pytest
from django.test import Client

from jobs.models import Job, JobState, Pass
from tests.factories import make_episode, make_series, make_user, make_video

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "viewer", "operator", "editor", "admin"]


def client_for(role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(make_user(role))
    return client


def expect(allowed: int, *, roles_allowed: set[str], role: str, refused: int = 403) -> int:
    if role == "anonymous":
        return 401
    return allowed if role in roles_allowed else refused


READ = {"viewer", "operator", "editor", "admin"}
OPERATE = {"operator", "admin"}


def _job(episode, state=JobState.QUEUED) -> Job:
    job = Job.objects.create(episode=episode, state=state)
    Pass.objects.create(job=job, number=1)
    return job


@pytest.mark.parametrize("role", ROLES)
def test_read_endpoints(role, tmp_path):
    episode = make_episode(tmp_path)
    job = _job(episode)
    client = client_for(role)
    slug = episode.season.series.slug
    for url in ["/api/me", "/api/series", f"/api/series/{slug}", "/api/episodes", f"/api/episodes?series={slug}",
                f"/api/episodes/{episode.pk}", "/api/jobs", f"/api/jobs/{job.pk}", f"/api/jobs/{job.pk}/segments"]:
        response = client.get(url)
        assert response.status_code == expect(200, roles_allowed=READ, role=role), url
        if response.status_code != 200:
            body = response.json()
            assert set(body) == {"code", "message", "fields"}, url


@pytest.mark.parametrize("role", ROLES)
def test_series_writes(role):
    client = client_for(role)
    response = client.post("/api/series", {"slug": f"s-{role}", "title": "Show"}, content_type="application/json")
    assert response.status_code == expect(201, roles_allowed=OPERATE, role=role)
    make_series(slug=f"p-{role}")
    response = client.patch(f"/api/series/p-{role}", {"title": "New title"}, content_type="application/json")
    assert response.status_code == expect(200, roles_allowed=OPERATE, role=role)
    response = client.delete(f"/api/series/p-{role}")
    assert response.status_code == expect(204, roles_allowed={"admin"}, role=role)


@pytest.mark.parametrize("role", ROLES)
def test_episode_upload(role, tmp_path):
    series = make_series(slug=f"up-{role}")
    video = make_video(tmp_path / "clip.mp4")
    client = client_for(role)
    with open(video, "rb") as fh:
        response = client.post("/api/episodes", {"series": series.slug, "season": 1, "number": 1, "file": fh})
    assert response.status_code == expect(201, roles_allowed=OPERATE, role=role)
    if response.status_code == 201:
        body = response.json()
        assert body["series"] == series.slug and abs(body["duration"] - 2.0) < 0.1


@pytest.mark.parametrize("role", ROLES)
def test_job_writes(role, tmp_path):
    client = client_for(role)
    episode = make_episode(tmp_path)
    response = client.post("/api/jobs", {"episode_id": episode.pk, "mode": "low"}, content_type="application/json")
    assert response.status_code == expect(201, roles_allowed=OPERATE, role=role)

    queued = _job(make_episode(tmp_path))
    response = client.post(f"/api/jobs/{queued.pk}/cancel")
    assert response.status_code == expect(200, roles_allowed=OPERATE, role=role)

    failed = _job(make_episode(tmp_path), state=JobState.FAILED)
    response = client.post(f"/api/jobs/{failed.pk}/retry")
    assert response.status_code == expect(200, roles_allowed=OPERATE, role=role)


def test_not_found_and_conflict_shapes(tmp_path):
    client = client_for("operator")
    response = client.get("/api/jobs/999999")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    done = _job(make_episode(tmp_path), state=JobState.SUCCEEDED)
    response = client.post(f"/api/jobs/{done.pk}/cancel")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    response = client.post(f"/api/jobs/{done.pk}/retry")
    assert response.status_code == 409
    response = client.post("/api/jobs", {"episode_id": "x"}, content_type="application/json")
    assert response.status_code == 422 and "episode_id" in response.json()["fields"]
    response = client.post("/api/series", {"slug": "bad", "title": "T", "target_language": "xx"},
                           content_type="application/json")
    assert response.status_code == 422 and "target_language" in response.json()["fields"]


def test_second_active_job_for_an_episode_is_refused(tmp_path):
    client = client_for("operator")
    episode = make_episode(tmp_path)
    assert client.post("/api/jobs", {"episode_id": episode.pk}, content_type="application/json").status_code == 201
    response = client.post("/api/jobs", {"episode_id": episode.pk}, content_type="application/json")
    assert response.status_code == 409 and "already has a queued or running job" in response.json()["message"]


def test_openapi_docs_are_published():
    client = Client()
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/series", "/api/episodes", "/api/jobs", "/api/jobs/{job_id}/cancel"} <= set(paths)
    assert client.get("/api/docs").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_rerun_pass2(role, tmp_path):
    from jobs.models import PassState

    done = _job(make_episode(tmp_path), state=JobState.SUCCEEDED)
    done.passes.update(state=PassState.SUCCEEDED)
    response = client_for(role).post(f"/api/jobs/{done.pk}/rerun-pass2")
    assert response.status_code == expect(200, roles_allowed=OPERATE, role=role)
    if response.status_code == 200:
        body = response.json()
        assert body["state"] == "queued" and body["two_pass"] is True
        assert [p["number"] for p in body["passes"]] == [1, 2]


def test_rerun_pass2_needs_a_finished_job(tmp_path):
    running = _job(make_episode(tmp_path), state=JobState.RUNNING)
    response = client_for("operator").post(f"/api/jobs/{running.pk}/rerun-pass2")
    assert response.status_code == 409 and "finished pass 1" in response.json()["message"]
