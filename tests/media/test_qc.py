"""QC of a dub: each check catches the defect it is for, and a clean line passes."""
import numpy as np
import pytest

from media.qc import LineSpec, Thresholds, check_episode, check_lines, coverage, words_missing_extra

RATE = 16000


def _tone(seconds, amp=0.3, freq=220.0):
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _track(spans, total=10.0, amp=0.3):
    out = np.zeros(int(total * RATE), np.float32)
    for s, e in spans:
        part = _tone(e - s, amp)
        out[int(s * RATE): int(s * RATE) + len(part)] = part
    return out


def test_round_trip_finds_missing_and_extra_words():
    assert words_missing_extra("Bring the yellow umbrella.", "bring the red umbrella please") == (
        ["yellow"], ["red", "please"])
    heard = {1: "bring the yellow umbrella", 2: "something else entirely"}
    lines = [LineSpec(1, 0.5, 2.0, "Bring the yellow umbrella."), LineSpec(2, 3.0, 5.0, "Meet me at the station.")]
    calls = iter([heard[1], heard[2]])
    out = check_lines(lines, dialogue=_track([(0.5, 2.0), (3.0, 5.0)]), rate=RATE, transcribe=lambda a, r: next(calls))
    assert out[0].wer == 0 and out[0].flags == []
    assert out[1].flags == ["qc_wer"] and "station" in out[1].missing


def test_voice_closer_to_another_character_is_flagged():
    anna, ben = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    lines = [LineSpec(1, 0.0, 2.0, "x", character="anna"), LineSpec(2, 3.0, 5.0, "y", character="anna")]
    vectors = iter([np.array([0.9, 0.1]), np.array([0.2, 0.95])])
    out = check_lines(lines, dialogue=_track([(0, 2), (3, 5)]), rate=RATE, embed=lambda a, r: next(vectors),
                      refs={"anna": anna, "ben": ben})
    assert out[0].flags == [] and out[0].closest_other == "ben"
    assert out[1].flags == ["qc_voice"] and "closer to ben" in out[1].reasons[0]


def test_timing_speed_overrun_overlap_offset():
    lines = [LineSpec(1, 0.0, 2.0, "a", speed=1.5),
             LineSpec(2, 2.0, 3.0, "b", dub_start=2.0, dub_end=3.8),  # runs 0.4 s into line 3
             LineSpec(3, 3.4, 5.0, "c", speed=1.2),
             LineSpec(4, 6.0, 7.0, "d", dub_start=6.8, dub_end=7.5),  # starts 0.8 s late
             LineSpec(5, 8.0, 9.0, "e", overrun=True)]
    out = check_lines(lines, dialogue=_track([(0, 9)]), rate=RATE)
    assert [q.flags for q in out] == [["qc_timing"], ["qc_timing"], [], ["qc_timing"], ["qc_timing"]]
    assert out[1].overlap_next == pytest.approx(0.4, abs=1e-6)
    assert out[3].offset == pytest.approx(0.8, abs=1e-6)
    assert out[4].reasons == ["overruns its slot"]


def test_level_clipping_and_quiet_line():
    dialogue = _track([(0, 2), (3, 5), (6, 8)])
    dialogue[int(6 * RATE): int(8 * RATE)] *= 0.05  # 26 dB below the others
    mix = dialogue.copy()
    mix[int(3.5 * RATE): int(3.6 * RATE)] = 1.0  # a clipped burst under line 2
    lines = [LineSpec(i + 1, s, e, "x") for i, (s, e) in enumerate([(0, 2), (3, 5), (6, 8)])]
    out = check_lines(lines, dialogue=dialogue, rate=RATE, mix=mix, mix_rate=RATE)
    assert [q.flags for q in out] == [[], ["qc_level"], ["qc_level"]]


def test_episode_verdict_names_its_thresholds():
    lines = check_lines([LineSpec(1, 0, 2, "x", speed=1.6), LineSpec(2, 3, 5, "y")], dialogue=_track([(0, 5)]),
                        rate=RATE)
    ep = check_episode(lines, loudness={"integrated_lufs": -18.0, "true_peak_dbtp": -0.2}, target_lufs=-23,
                       ceiling_dbtp=-1.0, coverage_share=0.9, thresholds=Thresholds())
    assert ep.verdict == "review" and ep.failures["qc_timing"] == 1
    # loudness off target and true peak over the ceiling; one failing line alone is the editors' to fix
    assert len(ep.reasons) == 2 and ep.thresholds["speed"] == 1.35 and ep.thresholds["target_lufs"] == -23
    both = check_lines([LineSpec(1, 0, 2, "x", speed=1.6), LineSpec(2, 3, 5, "y", speed=1.7)],
                       dialogue=_track([(0, 5)]), rate=RATE)
    many = check_episode(both, loudness={"integrated_lufs": -23.0, "true_peak_dbtp": -2.0}, target_lufs=-23,
                         ceiling_dbtp=-1.0, coverage_share=1.0)
    assert many.verdict == "review" and many.reasons == ["2 of 2 lines fail a check (more than 10%)"]
    good = check_episode([], loudness={"integrated_lufs": -23.4, "true_peak_dbtp": -1.5}, target_lufs=-23,
                         ceiling_dbtp=-1.0, coverage_share=1.0)
    assert good.verdict == "pass" and good.reasons == []


def test_coverage_of_source_speech():
    assert coverage([(0, 1), (2, 3)], [(0, 2), (2, 4)]) == 0.5
    assert coverage([], []) is None


def test_each_line_is_heard_alone_when_its_clip_is_given():
    # two lines said at once: the track's slice holds both; the line's own clip holds one
    track = _track([(0, 2)]) + _track([(0, 2)], amp=0.2)
    own = {1: _tone(1.7, 0.3), 2: _tone(1.2, 0.2)}
    heard = []
    lines = [LineSpec(1, 0.0, 2.0, "a"), LineSpec(2, 0.0, 2.0, "b")]
    check_lines(lines, dialogue=track, rate=RATE, transcribe=lambda a, r: heard.append(len(a)) or "", clips=own)
    assert sorted(heard) == sorted(len(c) for c in own.values())
