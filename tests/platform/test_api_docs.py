"""/api/docs works on a machine without internet: the Swagger UI comes from our own static files."""
from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client, RequestFactory

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _docs_page() -> str:
    client = Client()
    client.force_login(make_user("viewer"))
    response = client.get("/api/docs")
    assert response.status_code == 200
    return response.content.decode()


def _assets(page: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", page)


def test_docs_page_references_only_local_assets():
    page = _docs_page()
    assets = _assets(page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets) and any(a.endswith("swagger-ui.css") for a in assets)
    for url in assets:
        assert url.startswith(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL), url
        assert "//" not in url, url  # no CDN, no protocol-relative URL
    settings_json = re.search(r'id="swagger-settings">(.*?)</script>', page, re.S).group(1)
    assert json.loads(settings_json)["validatorUrl"] is None  # no badge fetched from validator.swagger.io


def test_docs_assets_are_served():
    """What runserver (DEBUG=1, `make run`) serves for each asset: found by the static-files finders, 200."""
    from django.contrib.staticfiles.views import serve

    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    for url in _assets(_docs_page()):
        path = url[len(prefix):]
        assert finders.find(path), path
        response = serve(RequestFactory().get(url), path, insecure=True)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content), url


def test_collectstatic_puts_the_docs_assets_in_static_root(tmp_path, settings):
    """Production serves STATIC_ROOT from the web server after `manage.py collectstatic`."""
    settings.STATIC_ROOT = tmp_path / "static"
    call_command("collectstatic", "--noinput", "-v0")
    for name in ["swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-init.js", "favicon.png"]:
        assert (tmp_path / "static" / "ninja" / name).stat().st_size > 0, name


def test_openapi_schema_is_served_to_a_viewer():
    client = Client()
    client.force_login(make_user("viewer"))
    assert client.get("/api/openapi.json").json()["info"]["title"] == "dubsite API"
