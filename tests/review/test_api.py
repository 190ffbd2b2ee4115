"""Every review endpoint × anonymous / viewer / operator / editor / admin (a guard test fails when an
endpoint has no row), 404 for a missing line or job, the 409 body of a stale save, and the list's query count."""
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


# Every endpoint of review/api.py, as its router names it, and the roles that may call it (anonymous: 401,
# any other role: 403). test_matrix_names_every_endpoint fails when an endpoint is added without a row.
READS = ["/jobs/{job_id}/lines", "/jobs/{job_id}/lines.csv", "/jobs/{job_id}/lines.srt", "/lines/{line_id}/revisions"]
WRITES = [  # in this order: each body names the version the one before left
    ("PATCH", "/lines/{line_id}", {"target_text": "Hallo.", "version": 1}),
    ("POST", "/lines/{line_id}/approve", {"approved": True, "version": 2}),
    ("POST", "/lines/{line_id}/lock", {"locked": True, "version": 3}),
    ("POST", "/lines/{line_id}/lock", {"locked": False, "version": 4}),
    ("POST", "/lines/{line_id}/restore", {"revision": 1, "version": 5}),
    ("POST", "/jobs/{job_id}/lines/import", None),  # multipart: see test_writes
    ("POST", "/jobs/{job_id}/lines/retranslate", None),  # no body
]


def test_matrix_names_every_endpoint():
    from review.api import job_lines_router, lines_router

    routes = {(method, prefix + path) for prefix, router in (("/lines", lines_router), ("/jobs", job_lines_router))
              for path, view in router.path_operations.items() for op in view.operations for method in op.methods}
    assert routes == {("GET", path) for path in READS} | {(method, path) for method, path, _ in WRITES}


def url(template: str, job, seg) -> str:
    return "/api" + template.format(job_id=job.pk, line_id=seg.pk)


@pytest.mark.parametrize("role", ROLES)
def test_reads(role, tmp_path):
    job, (seg, *_) = make_job_lines(tmp_path)
    client = client_for(role)
    for template in READS:
        response = client.get(url(template, job, seg))
        assert response.status_code == expected(role, {"viewer", "operator", "editor", "admin"}), template
    if role != "anonymous":
        lines = client.get(f"/api/jobs/{job.pk}/lines").json()
        assert [(line["index"], line["version"], line["character"]) for line in lines] == [
            (0, 1, "CHAR_0001"), (1, 1, "CHAR_0001"), (2, 1, "CHAR_0001")]


@pytest.mark.parametrize("role", ROLES)
def test_writes(role, tmp_path):
    job, (seg, *_) = make_job_lines(tmp_path)
    client = client_for(role)
    for method, template, body in WRITES:
        if body is None:
            continue
        response = getattr(client, method.lower())(url(template, job, seg), body, content_type="application/json")
        assert response.status_code == expected(role, WRITERS), (template, body, response.content)
        assert set(response.json()) >= {"id", "version"} if response.status_code == 200 else \
            set(response.json()) == {"code", "message", "fields"}
    upload = SimpleUploadedFile("l.csv", b"index,start,end,target\r\n1,2,3.5,Neu.\r\n", "text/csv")
    response = client.post(f"/api/jobs/{job.pk}/lines/import", {"file": upload})
    assert response.status_code == expected(role, WRITERS)
    Segment.objects.filter(job_id=job.pk, index=2).update(flags=["needs_retranslate"])
    response = client.post(f"/api/jobs/{job.pk}/lines/retranslate")
    assert response.status_code == expected(role, WRITERS), response.content
    seg.refresh_from_db()
    if role in WRITERS:
        assert response.json()["retranslated"] == 1
        assert (seg.target_text, seg.version) == (TEXTS[0][1], 6)
        actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
        assert actions == ["segment.edit", "segment.approve", "segment.lock", "segment.unlock", "segment.restore",
                           "segment.edit", "segments.import", "segment.retranslate", "segments.retranslate"]
    else:
        assert seg.version == 1 and not AuditEvent.objects.filter(action__startswith="segment").exists()
        assert Segment.objects.get(job_id=job.pk, index=1).version == 1
        assert Segment.objects.get(job_id=job.pk, index=2).target_text == TEXTS[2][1]  # not retranslated


def test_every_endpoint_answers_404_for_a_missing_line_or_job():
    client = client_for("admin")
    missing = type("Missing", (), {"pk": 999999})()
    for template in READS:
        assert client.get(url(template, missing, missing)).status_code == 404, template
    for method, template, body in WRITES:
        target = url(template, missing, missing)
        if template.endswith("/import"):
            upload = SimpleUploadedFile("l.csv", b"index,start,end,target\r\n", "text/csv")
            response = client.post(target, {"file": upload})
        elif body is None:
            response = client.post(target)
        else:
            response = getattr(client, method.lower())(target, body, content_type="application/json")
        assert response.status_code == 404, (template, response.content)
        assert set(response.json()) == {"code", "message", "fields"}


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
