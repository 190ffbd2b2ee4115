"""The review page × role (who gets it, which controls each role sees), its filters, pagination and
timeline links, the links to it from the job and episode pages, and its query count with 10 vs 1,000 lines."""
from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from review.board import character_colour
from review.models import Segment
from series.models import Character

from .lines import client_for, make_job_lines

pytestmark = pytest.mark.django_db

ROLES = ["viewer", "operator", "editor", "admin"]
EDIT_CONTROLS = ["class=\"edit small\"", "class=\"approve\"", "class=\"lock\"", "class=\"regenerate small\"",
                 "id=\"import-form\"", "id=\"retranslate\""]


def page_url(job) -> str:
    return f"/jobs/{job.pk}/review/"


def add_lines(job, count: int, *, start_index: int = 0) -> None:
    """`count` more lines in one INSERT, spread over three characters, every fifth flagged."""
    episode_id = Segment.objects.filter(job_id=job.pk).values_list("episode_id", flat=True).first()
    series_id = job.episode.season.series_id
    characters = [Character.objects.get_or_create(series_id=series_id, code=f"CHAR_{n:04d}",
                                                  defaults={"display_name": f"C{n}"})[0] for n in (1, 2, 3)]
    Segment.objects.bulk_create([
        Segment(episode_id=episode_id, job_id=job.pk, index=start_index + i, start=10.0 + 2 * i, end=11.5 + 2 * i,
                character=characters[i % 3], source_text=f"source {i}", target_text=f"target {i}",
                flags=["overrun"] if i % 5 == 0 else [], approved=i % 2 == 0, locked=i % 7 == 0)
        for i in range(count)])


def test_anonymous_is_sent_to_log_in(client, tmp_path):
    job, _ = make_job_lines(tmp_path)
    response = client.get(page_url(job))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_user_without_a_role_is_refused(tmp_path):
    job, _ = make_job_lines(tmp_path)
    assert client_for(None).get(page_url(job)).status_code == 403


def test_seeing_lines_is_not_enough_without_the_jobs_view_permission(tmp_path):
    from django.contrib.auth.models import Permission

    from tests.factories import make_user

    job, _ = make_job_lines(tmp_path)
    user = make_user(None)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="review", codename="view_segment"))
    client = client_for("anonymous")
    client.force_login(user)
    assert client.get(page_url(job)).status_code == 403
    user.user_permissions.add(Permission.objects.get(content_type__app_label="jobs", codename="view_job"))
    client.force_login(user)  # a fresh user object: Django caches permissions per instance
    assert client.get(page_url(job)).status_code == 200


def test_an_unknown_job_is_404(tmp_path):
    assert client_for("viewer").get("/jobs/987654/review/").status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_and_only_editors_get_edit_controls(role, tmp_path):
    job, lines = make_job_lines(tmp_path)
    Segment.objects.filter(pk=lines[2].pk).update(flags=["needs_retranslate"])
    response = client_for(role).get(page_url(job))
    assert response.status_code == 200
    html = response.content.decode()
    for line in lines:
        assert f'id="line-{line.pk}"' in html and line.target_text in html and line.source_text in html
    editing = role in ("editor", "admin")
    for control in EDIT_CONTROLS:
        assert (control in html) == editing, (role, control)
    # listening, takes, history and export are for everyone who may read
    for control in ["play-original", "play-dub", "class=\"takes small\"", "class=\"history small\"",
                    f"/api/jobs/{job.pk}/lines.csv", f"/api/jobs/{job.pk}/lines.srt"]:
        assert control in html, (role, control)
    config = response.context["config"]
    assert config["edit"] is editing and config["approve"] is editing and config["regenerate"] is editing
    assert config["synthesize"] is (role in ("operator", "admin"))
    assert (f'action="/jobs/{job.pk}/synthesize/"' in html) is (role in ("operator", "admin"))


def test_the_page_shows_progress_flags_and_a_stable_colour_per_character(tmp_path):
    job, lines = make_job_lines(tmp_path)
    Segment.objects.filter(pk=lines[0].pk).update(approved=True, flags=["overrun", "low_confidence"])
    html = client_for("viewer").get(page_url(job)).content.decode()
    assert re.search(r'id="approved-count">1</span> / <span id="total-count">3<', html)
    assert 'class="flag flag-overrun"' in html and 'class="flag flag-low_confidence"' in html
    colour = character_colour(lines[0].character_id)
    assert colour == character_colour(lines[0].character_id) != character_colour(lines[0].character_id + 1)
    assert html.count(f"background: {colour}") >= 3 + 3  # every row and every timeline block
    assert 'data-version="1"' in html
    assert 'id="retranslate"' not in client_for("editor").get(page_url(job)).content.decode()  # nothing flagged for it


def test_filters_narrow_the_rows_and_the_timeline_links_to_the_right_page(tmp_path):
    job, _ = make_job_lines(tmp_path)
    add_lines(job, 250, start_index=3)
    client = client_for("editor")
    board = client.get(page_url(job)).context["board"]
    assert (board.total, board.pages, len(board.rows)) == (253, 3, 100)

    board = client.get(page_url(job) + "?flag=overrun").context["board"]
    assert board.matching == 50 and all("overrun" in row.flags for row in board.rows)
    board = client.get(page_url(job) + "?character=CHAR_0002&unapproved=1").context["board"]
    assert board.rows and all(row.character.code == "CHAR_0002" and not row.approved for row in board.rows)
    board = client.get(page_url(job) + "?locked=1").context["board"]
    assert board.matching == 36 and all(row.locked for row in board.rows)

    # a line on page 3: its timeline block links there; with a filter it links to its filtered page
    last = Segment.objects.get(job_id=job.pk, index=252)
    response = client.get(page_url(job))
    assert f'href="?page=3#line-{last.pk}"' in response.content.decode()
    response = client.get(page_url(job) + "?character=CHAR_0001&page=2")
    html = response.content.decode()
    assert response.context["board"].page == 1  # only one page of CHAR_0001 lines: page 2 clamps to 1
    assert f'href="?character=CHAR_0001&amp;page=1#line-{last.pk}"' in html
    # lines the filter hides are dimmed and still link, to their page without the filter
    other = Segment.objects.filter(job_id=job.pk, character__code="CHAR_0002").order_by("-index").first()
    assert re.search(rf'class="tl-line tl-out[^"]*" id="tl-{other.pk}" data-line="{other.pk}" '
                     rf'href="\?page={other.index // 100 + 1}#line-{other.pk}"', html)

    response = client.get(page_url(job) + "?page=x")
    assert response.status_code == 200 and response.context["board"].page == 1


def test_the_job_page_the_episode_page_and_the_dashboard_link_to_the_review(tmp_path):
    job, _ = make_job_lines(tmp_path)
    client = client_for("viewer")
    assert f'href="/jobs/{job.pk}/review/"' in client.get(f"/jobs/{job.pk}/").content.decode()
    series = job.episode.season.series
    assert f'href="/jobs/{job.pk}/review/"' in client.get(f"/series/{series.slug}/").content.decode()
    assert f'href="/jobs/{job.pk}/review/"' in client.get("/").content.decode()  # the dashboard's recent jobs


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("query", ["", "?flag=overrun&unapproved=1", "?page=5"])
def test_the_query_count_does_not_grow_with_the_lines(query, tmp_path):
    small, _ = make_job_lines(tmp_path)
    add_lines(small, 7, start_index=3)
    large, _ = make_job_lines(tmp_path)
    add_lines(large, 997, start_index=3)
    assert Segment.objects.filter(job_id=large.pk).count() == 1000
    client = client_for("editor")
    client.get(page_url(small))  # warm the session and the permission caches alike for both
    few, many = _queries(client, page_url(small) + query), _queries(client, page_url(large) + query)
    assert few == many, (few, many)
    assert many <= 10, [q["sql"] for q in connection.queries[-many:]]
    assert len(client.get(page_url(large) + query).context["board"].rows) <= 100
