"""403/404 pages use the site's layout and say why; the media view answers 404 for any odd name; API errors stay JSON."""
from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_series, make_user

pytestmark = pytest.mark.django_db


def login(role):
    client = Client()
    client.force_login(make_user(role))
    return client


def test_403_page_has_the_site_layout_and_says_what_the_role_lacks():
    make_series(slug="show")
    response = login("viewer").get("/series/new/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "<header>" in page and ">dubsite</strong>" in page and "Log out" in page  # base.html
    assert "series.add_series" in page  # the PermissionDenied message: the permission the role lacks
    assert "with the role viewer" in page


def test_403_page_for_a_user_without_a_role():
    response = login(None).get("/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "<header>" in page and "You have no role yet; ask an admin." in page and "(none)" in page


def test_404_page_has_the_site_layout():
    response = login("viewer").get("/series/no-such-series/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<header>" in page and "Not found" in page and "No series &#x27;no-such-series&#x27;" in page


def test_404_for_an_unknown_url_names_the_path():
    response = login("viewer").get("/nothing/here/")
    assert response.status_code == 404
    assert "There is no page at /nothing/here/" in response.content.decode()


@pytest.mark.parametrize("name", [
    "jobs/1/%00.json", "%00", "jobs/%00/x.json", "a" * 5000 + ".json", "x/" * 600 + "y.json",
    "..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd", "jobs/..%5C..%5Cwin.ini", "jobs/", ".", "%ff%fe.json",
    "episodes/%E2%80%AEgpj.mp4",
])
def test_media_view_answers_404_for_weird_names(name):
    response = login("viewer").get(f"/media/{name}")
    assert response.status_code == 404
    assert "<header>" in response.content.decode()


def test_media_view_still_serves_a_real_file(settings):
    from pathlib import Path

    folder = Path(settings.MEDIA_ROOT) / "jobs" / "error-pages"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "qc.json").write_text("{}")
    response = login("viewer").get("/media/jobs/error-pages/qc.json")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"{}"


def test_api_403_stays_json():
    response = login("viewer").post("/api/series", {"slug": "s", "title": "S"}, content_type="application/json")
    assert response.status_code == 403 and response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": "forbidden", "message": "you lack the permission series.add_series",
                               "fields": {}}
