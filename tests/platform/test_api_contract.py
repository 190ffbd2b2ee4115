"""The OpenAPI schema is a contract clients can rely on: every operation lists the error statuses it
answers with the one error body, and the bounds the server enforces; PATCH takes only what may change."""
from __future__ import annotations

import json

import pytest
from django.test import Client

from dubsite.api import api
from dubsite.models import AuditEvent
from series.models import Series
from tests.factories import make_series, make_user

ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture(scope="module")
def openapi() -> dict:
    return json.loads(json.dumps(api.get_openapi_schema()))  # as a client reads /api/openapi.json


def operations(openapi):
    for path, item in openapi["paths"].items():
        for method, op in item.items():
            yield f"{method.upper()} {path}", op


def _error_ref(response: dict) -> str:
    return response["content"]["application/json"]["schema"]["$ref"]


def test_error_body_schema(openapi):
    error = openapi["components"]["schemas"]["ErrorOut"]
    assert set(error["required"]) == {"code", "message", "fields"}
    assert error["properties"]["fields"]["additionalProperties"] == {"type": "string"}


def test_every_operation_documents_its_errors_with_the_error_body(openapi):
    for name, op in operations(openapi):
        codes = {int(c) for c in op["responses"]}
        assert 401 in codes, name  # every endpoint needs a session or a token
        for code in codes:
            if code >= 400:
                assert _error_ref(op["responses"][str(code)]) == ERROR_REF, (name, code)
        if op.get("parameters") or "requestBody" in op:
            assert 422 in codes, name  # inputs out of range are refused with 422
        if "requestBody" in op:
            assert {400, 413} <= codes, name  # an unparseable body; one over the size limit
        if name != "GET /api/me":
            assert 403 in codes, name  # a role check or, for session writes, CSRF
        if "{" in name:
            assert 404 in codes, name  # the named object may not exist


def test_uploads_document_413_and_409(openapi):
    for name in ["POST /api/episodes", "POST /api/characters/{character_id}/refs"]:
        op = dict(operations(openapi))[name]
        assert {"409", "413"} <= set(op["responses"]), name
        assert op["requestBody"]["content"]["multipart/form-data"]["schema"]["additionalProperties"] is False


def test_the_schema_states_the_bounds_the_server_enforces(openapi):
    ops = dict(operations(openapi))
    form = ops["POST /api/episodes"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]
    for key in ("season", "number"):
        assert (form[key]["minimum"], form[key]["maximum"]) == (1, 9999), key
    assert form["title"]["maxLength"] == 200 and form["series"]["maxLength"] == 80
    for name, op in ops.items():
        for param in op.get("parameters", []):
            if param["name"].endswith("_id"):
                assert param["schema"]["minimum"] == 1 and param["schema"]["maximum"] == 2**63 - 1, (name, param)
            if param["name"] in ("slug", "series"):
                assert param["schema"]["maxLength"] == 80 and "pattern" in param["schema"], name
    limit = next(p for p in ops["GET /api/jobs"]["parameters"] if p["name"] == "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 500)
    schemas = openapi["components"]["schemas"]
    assert schemas["JobIn"]["properties"]["episode_id"]["minimum"] == 1
    series_in = schemas["SeriesIn"]
    assert series_in["additionalProperties"] is False
    assert series_in["properties"]["slug"]["maxLength"] == 80 and series_in["properties"]["title"]["maxLength"] == 200
    assert "klingon" not in series_in["properties"]["target_language"]["enum"]


def test_patch_schema_has_no_slug_and_refuses_extras(openapi):
    patch = openapi["components"]["schemas"]["SeriesPatch"]
    assert "slug" not in patch["properties"] and patch["additionalProperties"] is False


@pytest.mark.django_db
def test_patch_that_changes_nothing_writes_no_audit_row():
    client = Client()
    client.force_login(make_user("operator"))
    make_series(slug="show", title="Show")
    before = AuditEvent.objects.filter(action="series.update").count()
    response = client.patch("/api/series/show", {"title": "Show", "default_mode": "medium"},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["title"] == "Show"
    assert AuditEvent.objects.filter(action="series.update").count() == before
    response = client.patch("/api/series/show", {"title": "Show", "default_mode": "low"},
                            content_type="application/json")
    assert response.status_code == 200
    event = AuditEvent.objects.filter(action="series.update").get()
    assert event.old == {"default_mode": "medium"} and event.new == {"default_mode": "low"}  # only what changed


@pytest.mark.django_db
def test_patch_with_the_slug_changes_nothing():
    client = Client()
    client.force_login(make_user("operator"))
    make_series(slug="show", title="Show")
    response = client.patch("/api/series/show", {"slug": "moved", "title": "New"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["fields"] == {"slug": "unknown or read-only field"}
    assert Series.objects.get().slug == "show" and Series.objects.get().title == "Show"


@pytest.mark.django_db
def test_anonymous_write_is_401_even_with_csrf_enforced():
    """A script without credentials is told to authenticate, not that a CSRF token is missing."""
    response = Client(enforce_csrf_checks=True).post("/api/series", {"slug": "s", "title": "S"},
                                                     content_type="application/json")
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


@pytest.mark.django_db
def test_session_write_without_csrf_token_is_403():
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("operator"))
    response = client.post("/api/series", {"slug": "s", "title": "S"}, content_type="application/json")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert not Series.objects.exists()
