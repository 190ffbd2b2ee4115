"""The review page in a real browser: an editor edits a line in place, sees its duration budget,
saves, approves with the keyboard and finds both in the line's history; a stale save shows the
other editor's text beside theirs and loses neither. Screenshots go to the test's artifacts folder."""
from __future__ import annotations

import pytest

from review.editing import segment_edit
from review.models import Segment, SegmentRevision
from tests.e2e.conftest import login
from tests.factories import make_user
from tests.review.lines import make_job_lines

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

NEW_TEXT = "Hallo, ihr alle zusammen."


def script_errors(page) -> list[str]:
    """Errors of the page's own code; a 404 the page expects (an endpoint not there yet) logs a
    'Failed to load resource' line, which the page handles."""
    return [e for e in page.errors if "Failed to load resource" not in e]


def open_review(page, live_server, job, user):
    login(page, live_server, user)
    page.goto(f"{live_server.url}/jobs/{job.pk}/review/")
    page.wait_for_selector("tr.line.current")


def test_an_editor_edits_saves_approves_and_sees_the_history(live_server, page, tmp_path, artifacts_dir):
    job, lines = make_job_lines(tmp_path)
    editor = make_user("editor")
    page.set_viewport_size({"width": 1400, "height": 900})
    open_review(page, live_server, job, editor)
    first = f"#line-{lines[0].pk}"
    assert "line-" + str(lines[0].pk) == page.get_attribute("tr.line.current", "id")
    assert page.locator("#progress").inner_text().strip().startswith("0 / 3 approved")
    page.screenshot(path=str(artifacts_dir / "review-page.png"), full_page=True)

    # keyboard: j moves on, k comes back, e edits the current line
    page.keyboard.press("j")
    assert page.get_attribute("tr.line.current", "id") == f"line-{lines[1].pk}"
    assert "tl-current" in page.get_attribute(f"#tl-{lines[1].pk}", "class")
    page.keyboard.press("k")
    page.keyboard.press("e")
    area = page.locator(f"{first} textarea")
    assert area.input_value() == lines[0].target_text
    budget = page.locator(f"#budget-{lines[0].pk}")
    assert "slot 1.50 s" in budget.inner_text()
    area.fill(NEW_TEXT)
    page.keyboard.press("a")  # typed into the box, never a shortcut
    assert area.input_value() == NEW_TEXT + "a"
    area.fill(NEW_TEXT)
    page.screenshot(path=str(artifacts_dir / "review-editing.png"), full_page=True)
    page.click(f"{first} button.save")
    page.wait_for_function(f"document.querySelector('{first} td.target .text').textContent === {NEW_TEXT!r}")
    seg = Segment.objects.get(pk=lines[0].pk)
    assert (seg.target_text, seg.version) == (NEW_TEXT, 2)

    # approve with the keyboard: the progress follows
    page.keyboard.press("a")
    page.wait_for_function("document.getElementById('approved-count').textContent === '1'")
    assert page.is_checked(f"{first} input.approve")
    seg.refresh_from_db()
    assert seg.approved and seg.version == 3

    # the history panel: who, what changed (word diff), and the approval
    page.keyboard.press("h")
    panel = page.locator("#panel")
    panel.locator("li.revision").first.wait_for()
    assert panel.locator("li.revision").count() == 3
    newest = panel.locator("li.revision").first.inner_text()
    assert "v3" in newest and "approved" in newest and editor.username in newest
    edit = panel.locator("li.revision[data-version='2']")
    assert "Hallo," in edit.locator("ins").all_inner_texts()[0] and edit.locator("del").count() == 1
    assert panel.locator("li.revision[data-version='1'] button.restore").count() == 1
    page.screenshot(path=str(artifacts_dir / "review-history.png"), full_page=True)
    page.keyboard.press("Escape")
    assert panel.is_hidden()

    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden()

    # l locks: a locked line's text is not editable here until it is unlocked
    page.keyboard.press("l")
    page.wait_for_function(f"document.querySelector('{first}').classList.contains('is-locked')")
    assert Segment.objects.get(pk=lines[0].pk).locked
    page.keyboard.press("e")
    assert page.locator(f"{first} textarea").count() == 0 and "locked" in page.inner_text("#status")
    page.keyboard.press("l")
    page.wait_for_function(f"!document.querySelector('{first}').classList.contains('is-locked')")
    page.keyboard.press("e")
    assert page.locator(f"{first} textarea").count() == 1
    assert script_errors(page) == []


def test_the_duration_budget_follows_the_text(live_server, page, tmp_path):
    job, lines = make_job_lines(tmp_path)
    open_review(page, live_server, job, make_user("editor"))
    page.click(f"#line-{lines[0].pk} button.edit")
    budget = page.locator(f"#budget-{lines[0].pk}")
    page.wait_for_function(f"document.getElementById('budget-{lines[0].pk}').dataset.state === 'ok'")
    page.fill(f"#line-{lines[0].pk} textarea", "Kurz.")
    page.wait_for_function(f"document.getElementById('budget-{lines[0].pk}').dataset.state === 'ok'")
    short = float(budget.get_attribute("data-speed"))
    page.fill(f"#line-{lines[0].pk} textarea", "Das ist ein sehr viel längerer Satz, der niemals in anderthalb "
                                               "Sekunden gesprochen werden kann, ganz egal wie schnell man spricht.")
    page.wait_for_function(f"document.getElementById('budget-{lines[0].pk}').dataset.state === 'warn'")
    assert float(budget.get_attribute("data-speed")) > 1.35 > short
    assert "⚠" in budget.inner_text()
    assert script_errors(page) == []


def test_a_stale_save_shows_both_texts_and_keeps_both(live_server, page, tmp_path, artifacts_dir):
    job, lines = make_job_lines(tmp_path)
    open_review(page, live_server, job, make_user("editor"))
    line = f"#line-{lines[1].pk}"
    page.click(f"{line} button.edit")
    # meanwhile another editor saves the same line from the same version
    other = make_user("editor")
    segment_edit(actor=other, segment=Segment.objects.get(pk=lines[1].pk), target_text="Wie geht's dir denn?", version=1)
    page.fill(f"{line} textarea", "Wie geht es euch?")
    page.click(f"{line} button.save")
    conflict = page.locator(f"#conflict-{lines[1].pk}")
    conflict.wait_for()
    assert "Wie geht's dir denn?" in conflict.locator(".theirs").inner_text() and other.username in conflict.inner_text()
    assert page.locator(f"{line} textarea").input_value() == "Wie geht es euch?"  # mine is still there
    assert conflict.locator(".mine").inner_text() == "Wie geht es euch?"
    page.screenshot(path=str(artifacts_dir / "review-conflict.png"))
    conflict.locator("button.keep-mine").click()
    page.wait_for_function(f"document.querySelector('{line} td.target .text').textContent === 'Wie geht es euch?'")
    assert conflict.count() == 0
    texts = list(SegmentRevision.objects.filter(segment_id=lines[1].pk).order_by("version")
                 .values_list("target_text", flat=True))
    assert texts == ["Wie geht es dir?", "Wie geht's dir denn?", "Wie geht es euch?"]
    assert script_errors(page) == []


def test_a_viewer_reads_without_edit_controls(live_server, page, tmp_path):
    job, lines = make_job_lines(tmp_path)
    open_review(page, live_server, job, make_user("viewer"))
    assert page.locator("button.edit, input.approve, input.lock, button.regenerate, #import-form").count() == 0
    page.keyboard.press("e")
    page.keyboard.press("a")
    assert page.locator("textarea").count() == 0
    assert not Segment.objects.get(pk=lines[0].pk).approved
    page.keyboard.press("h")
    page.locator("#panel li.revision").first.wait_for()
    assert page.locator("#panel button.restore").count() == 0
    assert script_errors(page) == []


# ---- branch B's endpoints (budget, regenerate, takes, audio) as the contract describes them ----
# They live on another branch; until it is merged, the browser answers them here (Playwright's
# `page.route`), so the page's side of the contract is driven for real: what it asks, what it shows.

def wav_bytes(seconds: float = 0.6, rate: int = 16000) -> bytes:
    import io
    import math
    import struct
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                                 for i in range(int(seconds * rate))))
    return buffer.getvalue()


def stub_contract(page, username: str) -> dict:
    import json
    import re
    from urllib.parse import parse_qs, urlparse

    state = {"takes": [], "asked": []}
    wav = wav_bytes()

    def budget(route, request):
        text = parse_qs(urlparse(request.url).query).get("text", [""])[0]
        state["asked"].append(text)
        estimated = 0.075 * len(text)
        speed = round(max(estimated / 1.5, 0.5), 3)
        route.fulfill(json={"slot": 1.5, "estimated": estimated, "speed_needed": speed, "cap": 1.35,
                            "warn": speed > 1.35, "voice": "piper:de_DE-thorsten-low"})

    def regenerate(route, request):
        line = int(re.search(r"/lines/(\d+)/", request.url).group(1))
        number = len(state["takes"]) + 1
        take = {"id": number, "number": number, "text": "…", "duration": 0.6, "speed": 1.0, "provider": "piper",
                "chosen": False, "seconds": 0.42, "created": "2026-11-22T13:00:00Z", "created_by": username,
                "audio_url": f"/api/lines/{line}/takes/{number}/audio"}
        state["takes"].append(take)
        route.fulfill(status=201, json=take)

    def takes(route, request):
        route.fulfill(json=state["takes"])

    def choose(route, request):
        chosen = json.loads(request.post_data)["take"]
        for take in state["takes"]:
            take["chosen"] = take["number"] == chosen
        route.fulfill(json=state["takes"])

    def audio(route, request):
        route.fulfill(status=200, body=wav, headers={"Content-Type": "audio/wav", "Accept-Ranges": "bytes"})

    page.route(re.compile(r".*/api/lines/\d+/budget\?.*"), budget)
    page.route(re.compile(r".*/api/lines/\d+/regenerate$"), regenerate)
    page.route(re.compile(r".*/api/lines/\d+/takes$"), takes)
    page.route(re.compile(r".*/api/lines/\d+/choose-take$"), choose)
    page.route(re.compile(r".*/api/lines/\d+/(takes/\d+/audio|audio/(original|dub))$"), audio)
    return state


def player_loaded(page, src_part: str) -> float:
    page.wait_for_function(f"(() => {{ const a = document.getElementById('player'); "
                           f"return a.src.includes({src_part!r}) && a.readyState >= 1 && a.duration > 0; }})()")
    return page.evaluate("document.getElementById('player').duration")


def test_budget_regenerate_takes_and_playback_against_the_contract(live_server, page, tmp_path, artifacts_dir):
    job, lines = make_job_lines(tmp_path)
    editor = make_user("editor")
    state = stub_contract(page, editor.username)
    page.set_viewport_size({"width": 1400, "height": 900})
    open_review(page, live_server, job, editor)
    line = f"#line-{lines[0].pk}"
    budget = f"#budget-{lines[0].pk}"

    page.keyboard.press("e")
    page.wait_for_function(f"document.querySelector('{budget}').dataset.state === 'ok'")
    assert "slot 1.50 s" in page.inner_text(budget) and "⚠" not in page.inner_text(budget)
    page.fill(f"{line} textarea", "Hallo zusammen, schön dass ihr alle heute Abend hier seid.")
    page.wait_for_function(f"document.querySelector('{budget}').dataset.state === 'warn'")
    assert "⚠" in page.inner_text(budget) and float(page.get_attribute(budget, "data-speed")) > 1.35
    asked = len(state["asked"])
    page.type(f"{line} textarea", " Ja.", delay=20)  # typing fast asks once (debounced), not per key
    page.wait_for_timeout(700)
    assert len(state["asked"]) == asked + 1
    page.screenshot(path=str(artifacts_dir / "review-budget-warning.png"))
    # "Save & hear": saves the text, regenerates the line and plays the take as soon as it is there
    page.fill(f"{line} textarea", "Hallo ihr.")
    page.click(f"{line} button.save-hear")
    assert player_loaded(page, f"/api/lines/{lines[0].pk}/takes/1/audio") > 0.5
    assert page.inner_text(f"{line} td.target .text") == "Hallo ihr."
    assert Segment.objects.get(pk=lines[0].pk).target_text == "Hallo ihr."
    assert page.inner_text(f"{line} button.takes") == "takes (1)"
    page.click(f"{line} button.regenerate")
    player_loaded(page, "/takes/2/audio")

    # takes: A/B list, play one, choose it, go back to the pass's clip
    page.keyboard.press("t")
    panel = page.locator("#panel")
    panel.locator("li.take").first.wait_for()
    assert panel.locator("li.take").count() == 2
    panel.locator("li.take[data-number='1'] button.play-take").click()
    player_loaded(page, "/takes/1/audio")
    panel.locator("li.take[data-number='1'] button.choose-take").click()
    page.wait_for_function("document.querySelector(\"#panel li.take[data-number='1']\").innerText.includes('chosen')")
    assert [t["chosen"] for t in state["takes"]] == [True, False]
    page.screenshot(path=str(artifacts_dir / "review-takes.png"))
    page.keyboard.press("Escape")

    # p and d play the line's original slice and its current dub through the one player
    page.keyboard.press("p")
    player_loaded(page, f"/api/lines/{lines[0].pk}/audio/original")
    page.keyboard.press("d")
    player_loaded(page, f"/api/lines/{lines[0].pk}/audio/dub")
    assert page.locator("audio").count() == 1
    assert script_errors(page) == []


def test_an_editor_regenerates_a_line_for_real_and_plays_the_take(live_server, page, tmp_path, artifacts_dir):
    """The whole loop against the real server: edit (the budget follows), save, approve, regenerate
    (a real synthesis into a take), play the take, and find the change in the history."""
    job, lines = make_job_lines(tmp_path)
    editor = make_user("editor")
    page.set_viewport_size({"width": 1400, "height": 900})
    open_review(page, live_server, job, editor)
    line, budget = f"#line-{lines[0].pk}", f"#budget-{lines[0].pk}"
    page.keyboard.press("e")
    page.wait_for_function(f"document.querySelector('{budget}').dataset.state === 'ok'")
    before = float(page.get_attribute(budget, "data-speed"))
    page.fill(f"{line} textarea", "Hallo zusammen, schön dass ihr alle heute Abend wieder hier bei uns seid.")
    page.wait_for_function(f"document.querySelector('{budget}').dataset.state === 'warn'")
    assert float(page.get_attribute(budget, "data-speed")) > max(before, 1.35)
    page.fill(f"{line} textarea", "Hallo ihr.")
    page.wait_for_function(f"document.querySelector('{budget}').dataset.state === 'ok'")
    page.click(f"{line} button.save")
    page.wait_for_function(f"document.querySelector('{line} td.target .text').textContent === 'Hallo ihr.'")
    page.keyboard.press("a")
    page.wait_for_function("document.getElementById('approved-count').textContent === '1'")
    page.click(f"{line} button.regenerate")
    duration = player_loaded(page, f"/api/lines/{lines[0].pk}/takes/1/audio")
    assert 0.3 < duration < 3.0  # a short line, fitted into its 1.5 s slot
    take = Segment.objects.get(pk=lines[0].pk).takes.get()
    assert take.text == "Hallo ihr." and take.created_by == editor
    page.keyboard.press("h")
    page.locator("#panel li.revision").first.wait_for()
    history = page.inner_text("#panel")
    assert "approved" in history and editor.username in history and "ihr." in history
    page.screenshot(path=str(artifacts_dir / "review-regenerated.png"), full_page=True)
    assert script_errors(page) == []


def test_import_shows_the_report(live_server, page, tmp_path):
    job, lines = make_job_lines(tmp_path)
    open_review(page, live_server, job, make_user("editor"))
    csv = (f"index,start,end,character,source,target,version\r\n"
           f"0,0.000,1.500,CHAR_0001,Hello there.,Hallo ihr alle.,1\r\n"
           f"1,2.000,3.500,CHAR_0001,How are you?,Wie geht es dir?,1\r\n").encode()
    page.set_input_files("#import-form input[type=file]", files=[{"name": "lines.csv", "mimeType": "text/csv", "buffer": csv}])
    page.click("#import-form button")
    page.wait_for_function("document.getElementById('import-report').textContent.includes('updated')")
    report = page.inner_text("#import-report")
    assert "updated 1" in report and "unchanged 1" in report and "refused 0" in report, report
    assert Segment.objects.get(pk=lines[0].pk).target_text == "Hallo ihr alle."
    assert script_errors(page) == []
