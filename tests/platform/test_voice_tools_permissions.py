"""Characters, speakers and merges: every new page and API endpoint × anonymous / viewer / operator /
editor / admin, with the status each role gets; viewers see who speaks as whom but hear no voice data
and get no forms."""
from __future__ import annotations

import pytest
from django.test import Client

from series.models import Character
from tests.factories import make_series, make_user
from tests.voices.memory import job_with_ref, populated
from voices.merge import character_merge
from voices.models import EpisodeSpeaker

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "viewer", "operator", "editor", "admin"]
READ = {"viewer", "operator", "editor", "admin"}
EDIT = {"editor", "admin"}
ADMIN = {"admin"}
REIDENTIFY = {"operator", "editor", "admin"}
VOICE = "espeak:f3:p=70:s=165:g=f"


@pytest.fixture
def world(tmp_path):
    series = make_series(slug="perm-show")
    a, b, c = populated(series, tmp_path)
    d = Character.objects.create(series=series, code="CHAR_0009", display_name="Dee")  # merged by the role
    merge = character_merge(actor=make_user("admin"), source=b, target=a)  # undone by the role
    job, ep, _ = job_with_ref(series)
    EpisodeSpeaker.objects.create(episode=ep, job_id=job.pk, label="S1", character=c, provider="auto",
                                  similarity=0.61, margin=0.02, flagged=True, reason="low margin")
    return {"series": series, "a": a, "b": b, "c": c, "d": d, "merge": merge, "job": job}


def client_for(role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(make_user(role))
    return client


def api_expect(ok: int, allowed: set[str], role: str) -> int:
    return 401 if role == "anonymous" else ok if role in allowed else 403


def page_expect(ok: int, allowed: set[str], role: str) -> int:
    return 302 if role == "anonymous" else ok if role in allowed else 403  # anonymous: to the login page


@pytest.mark.parametrize("role", ROLES)
def test_api(role, world):
    client, w = client_for(role), world
    slug, job = w["series"].slug, w["job"]
    json = {"content_type": "application/json"}
    calls = [
        ("get", f"/api/series/{slug}/characters", None, 200, READ),
        ("get", f"/api/characters/{w['a'].pk}", None, 200, READ),
        ("get", f"/api/jobs/{job.pk}/speakers", None, 200, READ),
        ("post", f"/api/series/{slug}/characters", {"display_name": "New", "voice": VOICE}, 201, EDIT),
        ("patch", f"/api/characters/{w['a'].pk}", {"notes": "lead", "voice_locked": True}, 200, EDIT),
        ("post", f"/api/jobs/{job.pk}/speakers/S1/assign", {"character_id": w["a"].pk}, 200, EDIT),
        ("post", f"/api/jobs/{job.pk}/speakers/S1/enroll", None, 201, EDIT),
        ("post", f"/api/merges/{w['merge'].pk}/undo", None, 200, ADMIN),
        ("post", f"/api/characters/{w['d'].pk}/merge-into/{w['c'].pk}", None, 201, ADMIN),
        ("delete", f"/api/characters/{w['b'].pk}", None, 200, ADMIN),
        ("post", f"/api/jobs/{job.pk}/reidentify", None, 200, REIDENTIFY),
    ]
    for method, url, body, ok, allowed in calls:
        response = getattr(client, method)(url, body, **json) if body is not None else getattr(client, method)(url)
        assert response.status_code == api_expect(ok, allowed, role), (method, url, response.content[:300])
        if response.status_code >= 400:
            assert set(response.json()) == {"code", "message", "fields"}


@pytest.mark.parametrize("role", ROLES)
def test_pages(role, world):
    client, w = client_for(role), world
    base, job = f"/series/{w['series'].slug}/characters", w["job"]
    calls = [
        ("get", f"{base}/", {}, 200, READ),
        ("get", f"{base}/voice-preview.wav?voice={VOICE}", {}, 200, READ),
        ("get", f"/jobs/{job.pk}/", {}, 200, READ),
        ("post", f"{base}/new/", {"display_name": "Neu", "voice": VOICE}, 302, EDIT),
        ("post", f"{base}/{w['a'].pk}/edit/", {"display_name": "Anna", "notes": "n", "voice": ""}, 302, EDIT),
        ("post", f"/jobs/{job.pk}/speakers/S1/assign/", {"character": w["a"].pk}, 302, EDIT),
        ("post", f"/jobs/{job.pk}/speakers/S1/enroll/", {}, 302, EDIT),
        ("post", f"{base}/merges/{w['merge'].pk}/undo/", {}, 302, ADMIN),
        ("get", f"{base}/merge/?source={w['d'].pk}&target={w['c'].pk}", {}, 200, ADMIN),
        ("post", f"{base}/merge/", {"source": w["d"].pk, "target": w["c"].pk}, 302, ADMIN),
        ("get", f"{base}/{w['b'].pk}/delete/", {}, 200, ADMIN),
        ("post", f"{base}/{w['b'].pk}/delete/", {}, 302, ADMIN),
        ("post", f"/jobs/{job.pk}/reidentify/", {}, 302, REIDENTIFY),
    ]
    for method, url, data, ok, allowed in calls:
        response = getattr(client, method)(url, data)
        assert response.status_code == page_expect(ok, allowed, role), (method, url)
        if role == "anonymous":
            assert response["Location"].startswith("/login/")
    if role in ADMIN:  # the admin's forms did what they say
        w["d"].refresh_from_db()
        assert w["d"].merged_into == w["c"] and not Character.objects.filter(pk=w["b"].pk).exists()


@pytest.mark.parametrize("role", ["viewer", "operator", "editor", "admin"])
def test_what_each_role_sees(role, world):
    client, w = client_for(role), world
    page = client.get(f"/series/{w['series'].slug}/characters/").content.decode()
    assert w["a"].code in page and f"aliases: {w['b'].code}" in page
    assert ("not for your role" in page) == (role not in {"operator", "editor", "admin"})
    assert ('action="/series/perm-show/characters/new/"' in page) == (role in EDIT)
    assert ("Undo merge" in page) == (role in ADMIN)
    hears = role in {"operator", "editor", "admin"}
    assert ('<audio controls preload="none" src="/voices/refs/' in page) == hears  # the permission-checked player
    job_page = client.get(f"/jobs/{w['job'].pk}/").content.decode()
    player = f"/voices/jobs/{w['job'].pk}/speakers/S1/ref?clone=1"  # the job kept only the clone copy
    assert (f'src="{player}"' in job_page) == hears
    if hears:
        response = client.get(player)
        assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert 'id="speaker-S1"' in job_page and w["c"].code in job_page and "low margin" in job_page
    assert ("/speakers/S1/assign/" in job_page) == (role in EDIT)
    assert ("Enroll this ref" in job_page) == (role in EDIT)
    assert ("Re-run from identify" in job_page) == (role in REIDENTIFY)


def test_a_viewer_hears_no_voice_data(world):
    """The panel says a ref exists but offers no player: refs are voice data."""
    client = client_for("viewer")
    job_page = client.get(f"/jobs/{world['job'].pk}/").content.decode()
    assert "<audio" not in job_page.split('id="speakers"')[1].split("</table>")[0]
    body = client.get(f"/api/series/{world['series'].slug}/characters").json()
    assert all(entry["ref"] is None for entry in body)
    assert client_for("operator").get(f"/api/characters/{world['a'].pk}").json()["ref"] is not None
