"""A real browser (Debian's chromium, driven by Playwright) against pytest-django's live server."""
from __future__ import annotations

import os
import shutil

import pytest

# The live server runs in a thread of this process, and Playwright's sync API keeps an event
# loop running in this thread: Django's async-safety check would refuse the ORM calls tests make.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("console", lambda msg: page.errors.append(f"{msg.text} {msg.location.get('url', '')}")
            if msg.type == "error" else None)
    yield page
    context.close()


def login(page, live_server, user, password: str = "pw-for-tests-only") -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


@pytest.fixture
def artifacts_dir(request):
    """Where a browser test leaves what a person should look at (screenshots): DUBSITE_E2E_ARTIFACTS,
    else var/e2e-artifacts/ of the checkout (ignored by git), one folder per test."""
    from pathlib import Path

    root = Path(os.environ.get("DUBSITE_E2E_ARTIFACTS") or Path(__file__).resolve().parents[2] / "var" / "e2e-artifacts")
    folder = root / request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
