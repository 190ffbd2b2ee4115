"""Shared fixtures: where the real evaluation recordings are."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def find_eval_data() -> Path | None:
    """DUBSITE_EVAL_DATA, else the first `shared/eval-data` beside the repo or an ancestor of it."""
    env = os.environ.get("DUBSITE_EVAL_DATA")
    if env:
        return Path(env)
    for parent in ROOT.parents:
        candidate = parent / "shared" / "eval-data"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def eval_dir() -> Path:
    path = find_eval_data()
    if path is None or not path.is_dir():
        pytest.skip("evaluation recordings not found (set DUBSITE_EVAL_DATA or place ../shared/eval-data)")
    return path


def pytest_collection_modifyitems(config, items):
    """Tests that read the evaluation recordings are the quality checks `make eval` runs."""
    for item in items:
        if "eval_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.eval)


@pytest.fixture
def isolated_storage(settings, tmp_path):
    """Storage and work folders of this test only, so it can count every file before and after."""
    media, work = tmp_path / "media", tmp_path / "work"
    media.mkdir()
    work.mkdir()
    settings.MEDIA_ROOT = media
    settings.DUBSITE_WORK_DIR = work
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(media), "base_url": settings.MEDIA_URL}}}
    return media, work


def files_under(*roots: Path) -> dict[str, int]:
    """Every file under the folders, with its size (what a user's disk holds)."""
    return {str(p): p.stat().st_size for root in roots for p in sorted(Path(root).rglob("*")) if p.is_file()}


@pytest.fixture(autouse=True)
def _own_probe_cache(monkeypatch, tmp_path_factory):
    """Each test its own voice-probe disk cache: a test that fakes an engine never leaves fake
    figures under a real voice's key for the next one."""
    monkeypatch.setenv("MEDIA_CACHE_DIR", str(tmp_path_factory.mktemp("probe-cache")))
