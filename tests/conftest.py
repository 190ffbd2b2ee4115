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
