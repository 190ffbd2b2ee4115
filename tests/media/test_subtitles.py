"""SRT/VTT writers: round trips, formatting rules, and ffmpeg can read what we write."""
import subprocess

import pytest

from media.errors import MediaError
from media.subtitles import Cue, format_srt, format_vtt, read, read_srt, read_vtt, write, write_vtt

CUES = [(0.5, 1.25, "Hello there."), (2.0, 3.5, "Two lines\nof text"), (3661.007, 3662.5, "After an hour")]


@pytest.mark.parametrize("suffix", [".srt", ".vtt"])
def test_round_trip(tmp_path, suffix):
    path = write(CUES, tmp_path / f"subs{suffix}")
    assert read(path) == [Cue(*c) for c in CUES]


def test_srt_format():
    text = format_srt(CUES)
    assert text.startswith("1\n00:00:00,500 --> 00:00:01,250\nHello there.\n")
    assert "3\n01:01:01,007 --> 01:01:02,500\nAfter an hour" in text


def test_vtt_format():
    text = format_vtt(CUES)
    assert text.startswith("WEBVTT\n")
    assert "00:00:02.000 --> 00:00:03.500\nTwo lines\nof text" in text


def test_empty_cues_dropped_blank_lines_collapsed_and_sorted(tmp_path):
    cues = [(5, 6, "late"), (1, 2, "  "), (0, 1, "a\n\n\nb")]
    assert [c.text for c in read_srt(write(cues, tmp_path / "x.srt"))] == ["a\nb", "late"]


def test_arrow_in_vtt_text_does_not_break_cue(tmp_path):
    path = write_vtt([(0, 1, "A --> B")], tmp_path / "a.vtt")
    assert read_vtt(path) == [Cue(0.0, 1.0, "A -> B")]


def test_bad_timing_and_suffix_refused(tmp_path):
    with pytest.raises(MediaError):
        format_srt([(2.0, 2.0, "zero length")])
    with pytest.raises(MediaError):
        write(CUES, tmp_path / "subs.txt")
    (tmp_path / "no.vtt").write_text("1\n00:00:00,000 --> 00:00:01,000\nx\n")
    with pytest.raises(MediaError):
        read_vtt(tmp_path / "no.vtt")


@pytest.mark.parametrize("suffix", [".srt", ".vtt"])
def test_ffmpeg_reads_every_cue(tmp_path, suffix):
    path = write(CUES, tmp_path / f"subs{suffix}")
    proc = subprocess.run(["ffprobe", "-v", "error", "-count_packets", "-select_streams", "s:0", "-show_entries",
                           "stream=nb_read_packets", "-of", "csv=p=0", str(path)], capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) == len(CUES)
