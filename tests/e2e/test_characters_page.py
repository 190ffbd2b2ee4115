"""The Characters page in a real browser: an admin merges B into A through the confirmation
page and undoes it; every row comes back. A viewer sees who speaks as whom, but no voice data."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import login
from tests.factories import make_series, make_user
from tests.voices.memory import populated, state

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def test_admin_merges_then_undoes_from_the_page(live_server, page, tmp_path):
    series = make_series()
    a, b, _ = populated(series, tmp_path)
    before = state(series)
    login(page, live_server, make_user("admin"))
    page.goto(f"{live_server.url}/series/{series.slug}/characters/")
    form = page.locator("form[action$='/merge/']")
    form.locator("select[name=source]").select_option(str(b.pk))
    form.locator("select[name=target]").select_option(str(a.pk))
    form.locator("button").click()
    assert page.locator("h1").inner_text() == f"Merge {b} into {a}?"
    page.locator("main form button").last.click()
    assert "now an alias" in page.inner_text("body")
    b.refresh_from_db()
    assert b.merged_into_id == a.pk
    page.once("dialog", lambda d: d.accept())
    page.locator("#merges form button").first.click()
    page.wait_for_selector("text=undone")
    assert state(series) == before
    assert page.errors == []


def test_a_viewer_sees_characters_but_hears_no_voice_data(live_server, page, tmp_path):
    series = make_series()
    populated(series, tmp_path)
    login(page, live_server, make_user("viewer"))
    page.goto(f"{live_server.url}/series/{series.slug}/characters/")
    body = page.inner_text("body")
    assert "Anna" in body and "Carl" in body and "not for your role" in body
    assert page.locator("audio[src*='/voices/']").count() == 0
    assert page.locator("form[action$='/merge/']").count() == 0
    assert page.errors == []
