"""`manage.py dub` refuses bad input with one line (CommandError), never a traceback, and leaves nothing behind."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from series.models import Episode, Season, Series
from tests.factories import make_series, make_user, make_video

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def video(tmp_path):
    return make_video(tmp_path / "clip.mp4", seconds=1.0)


def _counts():
    return Series.objects.count(), Season.objects.count(), Episode.objects.count()


@pytest.mark.parametrize("args, reason", [
    (["--series", "bad slug!"], "not a slug"),
    (["--series", "x" * 81], "not a slug"),
    (["--series", "ok", "--season", "0"], "must be 1 to 9999"),
    (["--series", "ok", "--season", "99999999999"], "must be 1 to 9999"),
    (["--series", "ok", "--episode", "-1"], "must be 1 to 9999"),
    (["--series", "ok", "--episode", "two"], "not a whole number"),
])
def test_bad_arguments_are_one_line_errors(video, args, reason):
    make_user("admin")
    before = _counts()
    with pytest.raises(CommandError) as err:
        call_command("dub", str(video), *args, "--no-wait")
    assert reason in str(err.value) and "\n" not in str(err.value)
    assert _counts() == before


@pytest.mark.parametrize("args, reason", [
    (["--series", "new-show", "--source", "xx"], "invalid choice: 'xx'"),
    (["--series", "new-show", "--target", "xx"], "invalid choice: 'xx'"),
    (["--series", "new-show", "--user", "nobody"], "no active user"),
])
def test_bad_values_are_one_line_errors(video, args, reason):
    make_user("admin")
    with pytest.raises(CommandError) as err:
        call_command("dub", str(video), *args, "--no-wait")
    assert reason in str(err.value) and "\n" not in str(err.value)


def test_unreadable_video_is_a_one_line_error_naming_the_file(tmp_path):
    make_user("admin")
    make_series(slug="show")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(CommandError) as err:
        call_command("dub", str(junk), "--series", "show", "--no-wait")
    message = str(err.value)
    assert "junk.mp4" in message and message.count("not a readable media file") == 1  # said once
    assert str(tmp_path) not in message and "/tmp" not in message
    assert Episode.objects.count() == 0


def test_the_command_line_prints_no_traceback(video):
    """What a user sees in a shell: one `error:` line, exit status 2, no Python traceback."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    proc = subprocess.run([sys.executable, "manage.py", "dub", str(video), "--series", "bad slug!"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and "not a slug" in errors[0]


def test_a_model_validation_error_is_one_line_naming_the_field(tmp_path):
    """The episode title comes from the file name; one longer than the 200-character title is refused
    by the model's full_clean — as one line naming `title`, with nothing stored."""
    make_user("admin")
    make_series(slug="show")
    long_name = make_video(tmp_path / ("t" * 210 + ".mp4"), seconds=1.0)
    with pytest.raises(CommandError) as err:
        call_command("dub", str(long_name), "--series", "show", "--no-wait")
    assert str(err.value).startswith("title:") and "\n" not in str(err.value)
    assert Episode.objects.count() == 0
