"""`manage.py models` and its admin page list every stage's engines with reasons."""
from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_models_command_lists_engines_with_reasons(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))  # an empty MODELS_DIR: optional weights absent
    call_command("models")
    out = capsys.readouterr().out
    assert "asr" in out and "faster-whisper" in out
    assert "no demucs weights" in out
    assert "lacks config.json, model.pth, vocab.json" in out  # XTTS, with the reason
    assert f"MODELS_DIR                   {tmp_path}" in out


def test_models_admin_page_is_for_admins():
    admin_client, op_client = Client(), Client()
    admin_client.force_login(make_user("admin"))
    op_client.force_login(make_user("operator"))
    page = admin_client.get("/admin/models/")
    assert page.status_code == 200 and b"piper" in page.content
    assert op_client.get("/admin/models/").status_code == 403
    assert Client().get("/admin/models/").status_code == 302
