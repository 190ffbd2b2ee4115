"""Every review endpoint × anonymous / viewer / operator / editor / admin, the 409 body of a stale
save, and the list's query count."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dubsite.models import AuditEvent
from review.models import Segment

from .lines import TEXTS, client_for, make_job_lines

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "viewer", "operator", "editor", "admin"]
WRITERS = {"editor", "admin"}


def expected(role: str, allowed: set[str], ok: int = 200) -> int:
    if role == "anonymous":
        return 401
    return ok if role in allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_reads(role, tmp_path):
    job, (seg, *_) = make_job_lines(tmp_path)
    client = client_for(role)
    for url in [f"/api/jobs/{job.pk}/lines", f"/api/jobs/{job.pk}/lines.csv", f"/api/jobs/{job.pk}/lines.srt",
                f"/api/lines/{seg.pk}/revisions"]:
        response = client.get(url)
        assert response.status_code == expected(role, {"viewer", "operator", "editor", "admin"}), url
    if role != "anonymous":
        lines = client.get(f"/api/jobs/{job.pk}/lines").json()
        assert [(line["index"], line["version"], line["character"]) for line in lines] == [
            (0, 1, "CHAR_0001"), (1, 1, "CHAR_0001"), (2, 1, "CHAR_0001")]


@pytest.mark.parametrize("role", ROLES)
def test_writes(role, tmp_path):
    job, (seg, *_) = make_job_lines(tmp_path)
    client = client_for(role)
    calls = [
        ("patch", f"/api/lines/{seg.pk}", {"target_text": "Hallo.", "version": 1}),
        ("post", f"/api/lines/{seg.pk}/approve", {"approved": True, "version": 2}),
        ("post", f"/api/lines/{seg.pk}/lock", {"locked": True, "version": 3}),
        ("post", f"/api/lines/{seg.pk}/lock", {"locked": False, "version": 4}),
        ("post", f"/api/lines/{seg.pk}/restore", {"revision": 1, "version": 5}),
    ]
    for method, url, body in calls:
        response = getattr(client, method)(url, body, content_type="application/json")
        assert response.status_code == expected(role, WRITERS), (url, body, response.content)
        assert set(response.json()) >= {"id", "version"} if response.status_code == 200 else \
            set(response.json()) == {"code", "message", "fields"}
    upload = SimpleUploadedFile("l.csv", b"index,start,end,target\r\n1,2,3.5,Neu.\r\n", "text/csv")
    response = client.post(f"/api/jobs/{job.pk}/lines/import", {"file": upload})
    assert response.status_code == expected(role, WRITERS)
    seg.refresh_from_db()
    if role in WRITERS:
        assert (seg.target_text, seg.version) == (TEXTS[0][1], 6)
        actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
        assert actions == ["segment.edit", "segment.approve", "segment.lock", "segment.unlock", "segment.restore",
                           "segment.edit", "segments.import"]
    else:
        assert seg.version == 1 and not AuditEvent.objects.filter(action__startswith="segment").exists()
        assert Segment.objects.get(job_id=job.pk, index=1).version == 1


def test_stale_save_answers_409_with_the_other_persons_text(tmp_path):
    _, (seg, *_) = make_job_lines(tmp_path)
    first, second = client_for("editor"), client_for("editor")
    assert first.patch(f"/api/lines/{seg.pk}", {"target_text": "Erste.", "version": 1},
                       content_type="application/json").status_code == 200
    response = second.patch(f"/api/lines/{seg.pk}", {"target_text": "Zweite.", "version": 1},
                            content_type="application/json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stale_version" and body["fields"] == {"version": "stale"}
    assert body["current"]["target_text"] == "Erste." and body["current"]["version"] == 2
    assert body["current"]["changed_by"].startswith("editor")
    seg.refresh_from_db()
    assert seg.target_text == "Erste."


def test_locked_line_edit_is_409_and_bad_bodies_422(tmp_path):
    _, (seg, *_) = make_job_lines(tmp_path)
    client = client_for("editor")
    assert client.post(f"/api/lines/{seg.pk}/lock", {"locked": True, "version": 1},
                       content_type="application/json").status_code == 200
    response = client.patch(f"/api/lines/{seg.pk}", {"target_text": "Neu.", "version": 2},
                            content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "locked"
    for body in [{"target_text": "Neu."}, {"target_text": "Neu.", "version": "2"}, {"target_text": " ", "version": 2},
                 {"target_text": "Neu.", "version": 2, "approved": True}]:
        response = client.patch(f"/api/lines/{seg.pk}", body, content_type="application/json")
        assert response.status_code == 422, body
    assert client.patch("/api/lines/999999", {"target_text": "x", "version": 1},
                        content_type="application/json").status_code == 404
    assert client.get("/api/jobs/999999/lines.csv").status_code == 404


def test_line_list_query_count_does_not_grow_with_lines(tmp_path):
    job, _ = make_job_lines(tmp_path, texts=[(f"s{i}", f"t{i}") for i in range(40)])
    client = client_for("viewer")
    client.get(f"/api/jobs/{job.pk}/lines")  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/api/jobs/{job.pk}/lines").status_code == 200
    with CaptureQueriesContext(connection) as csv_queries:
        assert client.get(f"/api/jobs/{job.pk}/lines.csv").status_code == 200
    assert len(few) <= 8 and len(csv_queries) <= 8
