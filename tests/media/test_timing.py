"""Slot fitting: speed up to the cap, borrow from the gap, report (never clip) what still overruns."""
import numpy as np
import pytest

from media.errors import MediaError
from media.timing import DEFAULT_CAP, MIN_GAP_KEPT, Line, change_tempo, fit_clip, fit_lines, plan_fit

SR = 16000


def tone(seconds: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(round(seconds * SR))) / SR
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / SR)[np.argmax(spectrum)])


def test_clip_that_fits_is_untouched():
    clip = tone(1.5)
    out, fit = fit_clip(clip, SR, slot_seconds=2.0, gap_after=1.0)
    assert out is clip or np.array_equal(out, clip)
    assert fit.factor == 1.0 and fit.borrowed == 0.0 and fit.overrun == 0.0 and not fit.flagged


def test_too_long_clip_is_sped_up_within_cap_and_keeps_pitch():
    clip = tone(2.4)
    out, fit = fit_clip(clip, SR, slot_seconds=2.0, gap_after=0.0)
    assert fit.factor == pytest.approx(1.2, abs=1e-3)
    assert fit.factor <= DEFAULT_CAP
    assert len(out) / SR == pytest.approx(2.0, abs=0.01)
    assert not fit.flagged
    # pitch-preserving: a 440 Hz tone stays at 440 Hz (a plain resample would give 528 Hz)
    assert dominant_hz(out) == pytest.approx(440.0, abs=5.0)


def test_speed_up_stops_at_cap_then_borrows_from_gap():
    clip = tone(3.0)
    out, fit = fit_clip(clip, SR, slot_seconds=2.0, gap_after=1.0)
    assert fit.factor == pytest.approx(DEFAULT_CAP)
    sped = 3.0 / DEFAULT_CAP
    assert fit.borrowed == pytest.approx(sped - 2.0, abs=1e-6)
    assert fit.overrun == 0.0 and not fit.flagged
    assert len(out) / SR == pytest.approx(sped, abs=0.01)


def test_overrun_is_reported_not_clipped():
    clip = tone(4.0)
    out, fit = fit_clip(clip, SR, slot_seconds=2.0, gap_after=0.5, cap=1.35)
    needed = 4.0 / 1.35
    assert fit.borrowed == pytest.approx(0.5 - MIN_GAP_KEPT)
    assert fit.overrun == pytest.approx(needed - 2.0 - (0.5 - MIN_GAP_KEPT), abs=1e-6)
    assert fit.flagged and "shorten" in fit.reason
    # every word is still there: the output is as long as the sped-up clip needs
    assert len(out) / SR >= needed - 0.005
    assert fit.output >= needed - 0.005


def test_custom_cap_is_respected():
    fit = plan_fit(4.0, 2.0, 0.0, cap=1.1)
    assert fit.factor == pytest.approx(1.1)
    assert fit.flagged


def test_cap_below_one_is_refused():
    with pytest.raises(MediaError):
        plan_fit(2.0, 1.0, cap=0.9)


def test_fit_lines_takes_gap_up_to_next_line():
    lines = [
        Line(tone(3.0), SR, start=0.0, end=2.0),  # next line starts at 3.0 -> 1.0 s gap
        Line(tone(1.0), SR, start=3.0, end=4.0),
        Line(tone(2.0), SR, start=5.0, end=6.0),  # last: gap to total_seconds (6.5)
    ]
    results = fit_lines(lines, total_seconds=6.5)
    first, second, last = (r[1] for r in results)
    assert first.gap_after == pytest.approx(1.0) and not first.flagged and first.borrowed > 0
    assert second.factor == 1.0
    assert last.gap_after == pytest.approx(0.5)
    assert last.flagged  # 2.0 / 1.35 = 1.48 s > 1.0 s slot + 0.45 s gap


def test_change_tempo_length_is_exact():
    for factor in (0.8, 1.1, 1.35, 2.5):
        out = change_tempo(tone(1.0), SR, factor)
        assert len(out) == int(round(SR / factor))


def test_time_alone_ends_where_another_line_starts():
    from media.timing import time_alone

    # a turn another person talks into, a turn inside it (talked over from its start: no time
    # alone), a turn on its own, two starting together (the second begins under the first)
    spans = [(0.0, 5.0), (1.5, 2.5), (6.0, 7.0), (8.0, 9.0), (8.0, 8.5)]
    assert time_alone(spans) == pytest.approx([1.5, 0.0, 1.0, 0.0, 0.0])
    # a turn that starts as the one before it ends has its time alone
    assert time_alone([(0.0, 1.0), (1.0, 3.0)]) == pytest.approx([1.0, 2.0])
