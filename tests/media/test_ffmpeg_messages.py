"""ffmpeg/ffprobe errors name files by their names only: a user reading one learns nothing of the server's folders."""
from __future__ import annotations

import os

import pytest

from media import ffmpeg
from media.errors import InvalidMediaError, MediaError


def test_probe_error_names_the_file_not_its_folder(tmp_path):
    folder = tmp_path / "srv" / "uploads" / "tmp-abc"
    folder.mkdir(parents=True)
    junk = folder / "clip.mp4"
    junk.write_bytes(os.urandom(2048))
    with pytest.raises(InvalidMediaError) as err:
        ffmpeg.probe(junk)
    message = str(err.value)
    assert "clip.mp4" in message and "Invalid data" in message
    assert str(tmp_path) not in message and "srv/uploads" not in message


def test_conversion_error_names_input_and_output_by_name(tmp_path):
    src = tmp_path / "in" / "broken.wav"
    src.parent.mkdir()
    src.write_bytes(b"RIFF" + os.urandom(100))
    with pytest.raises(MediaError) as err:
        ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), str(tmp_path / "out" / "x.wav")])
    assert str(tmp_path) not in str(err.value) and "broken.wav" in str(err.value)
