"""Session auth needs CSRF for writes; bearer tokens work without it and are stored hashed."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from dubsite.audit import Context
from dubsite.models import ApiToken, AuditEvent
from dubsite.tokens import hash_key, token_create, token_revoke
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_session_write_without_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("operator"))
    response = client.post("/api/series", {"slug": "x", "title": "X"}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]


def test_session_write_with_csrf_token_is_accepted():
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("operator"))
    client.get("/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post("/api/series", {"slug": "x", "title": "X"}, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_bearer_token_carries_its_users_permissions():
    operator, viewer = make_user("operator"), make_user("viewer")
    from django.db import transaction

    with transaction.atomic():
        _, op_key = token_create(actor=operator, user=operator, name="ci")
        _, view_key = token_create(actor=viewer, user=viewer, name="ro")
    client = Client(enforce_csrf_checks=True)
    ok = client.post("/api/series", {"slug": "tok", "title": "T"}, content_type="application/json",
                     HTTP_AUTHORIZATION=f"Bearer {op_key}")
    assert ok.status_code == 201
    refused = client.post("/api/series", {"slug": "tok2", "title": "T"}, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {view_key}")
    assert refused.status_code == 403
    assert client.get("/api/series", HTTP_AUTHORIZATION="Bearer dub_wrong").status_code == 401
    assert AuditEvent.objects.filter(action="series.create", actor=operator).exists()


def test_tokens_are_stored_hashed_and_revocable():
    user = make_user("viewer")
    token, key = token_create(actor=user, user=user, name="script")
    row = ApiToken.objects.get(pk=token.pk)
    assert key not in (row.key_hash, row.prefix) and row.key_hash == hash_key(key)
    client = Client()
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").json()["roles"] == ["viewer"]
    token_revoke(actor=user, token=token, context=Context(user))
    assert client.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke").exists()
    new = AuditEvent.objects.get(action="token.create")
    assert key not in str(new.new)


def test_token_command_prints_the_secret_once(capsys):
    user = make_user("operator")
    call_command("token", "create", user.username, "--name", "deploy")
    out = capsys.readouterr().out
    key = out.strip().splitlines()[-1]
    assert key.startswith("dub_")
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


def test_login_page_logs_in_and_out():
    user = make_user("viewer")
    client = Client()
    assert client.get("/").status_code == 302  # to the login page
    response = client.post("/login/", {"username": user.username, "password": "pw-for-tests-only"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout/")
    assert client.get("/").status_code == 302
