"""`manage.py dub` creates nothing unless the episode is accepted, and leaves no work folder."""
from __future__ import annotations

import io
import json
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from series.models import Episode, Season, Series
from tests.conftest import files_under
from tests.factories import make_series, make_user, make_video

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int]:
    return Series.objects.count(), Season.objects.count(), Episode.objects.count()


@pytest.mark.parametrize("content", [b"", os.urandom(50_000)], ids=["zero-byte", "random-bytes"])
@pytest.mark.parametrize("series", ["new-show", "existing-show"])
def test_a_refused_file_creates_no_series_season_or_file(content, series, tmp_path, isolated_storage):
    media, work = isolated_storage
    admin = make_user("admin")
    if series == "existing-show":
        make_series(slug=series)  # no season yet: a refused episode must not leave one
    video = tmp_path / "episode.mp4"
    video.write_bytes(content)
    before, files = counts(), files_under(media, work)
    with pytest.raises(CommandError) as refused:
        call_command("dub", str(video), "--series", series, "--sync", "--user", admin.username)
    message = str(refused.value)
    assert "\n" not in message and message.strip()  # one line a user can act on
    assert ("empty" in message) if not content else ("episode.mp4" in message)
    assert counts() == before and files_under(media, work) == files


def test_an_accepted_file_dubs_and_leaves_no_work_folder(tmp_path, isolated_storage):
    media, work = isolated_storage
    admin = make_user("admin")
    video = make_video(tmp_path / "ok.mp4", seconds=2.0)
    out = io.StringIO()
    call_command("dub", str(video), "--series", "fresh-show", "--mode", "low", "--two-pass", "off", "--sync",
                 "--json", "--user", admin.username, "--out", str(tmp_path / "out"), stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["state"] == "succeeded" and Series.objects.filter(slug="fresh-show").exists()
    # the printed outputs are where they are kept (storage), and nothing re-created the work folder
    assert summary["outputs"]["mkv"] == str(media / "jobs" / str(summary["job"]) / "pass1" / "dub.mkv")
    assert os.path.isfile(summary["outputs"]["mkv"]) and (tmp_path / "out" / "dub.mkv").is_file()
    assert files_under(work) == {} and not any(work.iterdir())
