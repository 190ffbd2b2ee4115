"""`manage.py media` runs one stage on a file, like `python -m media`, with a one-line error."""
import os
import subprocess
import sys

from tests.factories import make_video


def run(*args):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.run([sys.executable, "manage.py", "media", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_media_probe_and_loudness(tmp_path):
    video = make_video(tmp_path / "clip.mp4", seconds=2.0)
    probe = run("probe", str(video))
    assert probe.returncode == 0 and '"kind": "audio"' in probe.stdout
    loud = run("loudness", str(video))
    assert loud.returncode == 0 and "LUFS" in loud.stdout


def test_media_failure_is_one_line_and_non_zero(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    result = run("loudness", str(bad))
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error:")
