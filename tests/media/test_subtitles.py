"""SRT/VTT writers: round trips, formatting rules, and ffmpeg can read what we write."""
import subprocess

import pytest

from media.errors import MediaError
from media.subtitles import MIN_CUE_SECONDS, Cue, format_srt, layout, format_vtt, read, read_srt, read_vtt, write, write_vtt

CUES = [(0.5, 1.5, "Hello there."), (2.0, 3.5, "Two lines\nof text"), (3661.007, 3662.5, "After an hour")]


@pytest.mark.parametrize("suffix", [".srt", ".vtt"])
def test_round_trip(tmp_path, suffix):
    path = write(CUES, tmp_path / f"subs{suffix}")
    assert read(path) == [Cue(*c) for c in CUES]


def test_srt_format():
    text = format_srt(CUES)
    assert text.startswith("1\n00:00:00,500 --> 00:00:01,500\nHello there.\n")
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


def test_lines_said_together_become_one_cue_never_two_on_screen():
    # the defect seen in a target SRT: cue 5 (11.98-12.18 "I") and cue 6 (11.98-14.50) started together
    cues = read_srt_text(format_srt([(11.98, 12.18, "I"), (11.98, 14.5, "I know where it is."), (15.0, 16.2, "Go.")]))
    assert [(c.start, c.end) for c in cues] == [(11.98, 14.5), (15.0, 16.2)]
    assert cues[0].text == "- I\n- I know where it is."


def test_a_flash_cue_takes_room_from_silence_or_joins_a_neighbour():
    # room after it: extended forward to the minimum
    assert layout([(1.0, 1.2, "Hi."), (5.0, 6.0, "Later.")])[0] == Cue(1.0, 1.0 + MIN_CUE_SECONDS, "Hi.")
    # no room after (next cue 0.3 s later), room before: moved back into the silence
    out = layout([(0.0, 1.0, "First."), (3.0, 3.2, "Hm."), (3.5, 5.0, "Next.")])
    assert out[1].end <= out[2].start and out[1].end - out[1].start >= MIN_CUE_SECONDS - 1e-9
    # no room anywhere: it joins the closer neighbour
    out = layout([(0.0, 1.0, "A."), (1.05, 1.25, "B."), (1.3, 2.5, "C.")])
    assert len(out) == 2 and "B." in (out[0].text + out[1].text)


@pytest.mark.parametrize("seed", range(20))
def test_random_lines_never_overlap_nor_flash(seed):
    import random

    rng = random.Random(seed)
    cues, t = [], 0.0
    for n in range(40):
        t += rng.uniform(-0.5, 1.5)
        t = max(t, 0.0)
        cues.append((t, t + rng.uniform(0.05, 3.0), f"<{n}>"))
    out = layout(cues)
    assert all(a.end <= b.start for a, b in zip(out, out[1:]))
    assert all(c.end - c.start >= MIN_CUE_SECONDS - 1e-9 for c in out)
    said = " ".join(c.text for c in out)
    assert all(f"<{n}>" in said for n in range(40))  # nothing dropped


def read_srt_text(text):
    from media.subtitles import _parse

    return _parse(text)
