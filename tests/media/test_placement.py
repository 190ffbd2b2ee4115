"""Line placement: lines that would talk over each other are moved apart within a bound."""
import numpy as np
import pytest

from media.errors import MediaError
from media.placement import DUCK_DB, GAP, duck_talked_over, place_lines


def _overlap(a, b) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def test_line_overrunning_its_slot_pushes_the_next_one_later_within_the_bound():
    # line 0 (slot 0-2 s) still lasts 2.3 s at the cap; line 1 starts at 2.0 s, silence after it
    placed = place_lines([(0.0, 2.3), (2.0, 1.0)], max_shift=0.5, total_seconds=10.0)
    assert _overlap(*placed) == 0.0
    assert placed[1].start >= placed[0].end + GAP - 1e-3
    assert all(abs(p.shift) <= 0.5 + 1e-6 for p in placed)
    # late is preferred to early: line 0 keeps its time, line 1 moves
    assert placed[0].shift == pytest.approx(0.0, abs=1e-3)
    assert placed[1].shift == pytest.approx(0.35, abs=1e-3)


def test_line_starts_earlier_into_the_silence_before_it_when_the_next_cannot_move():
    # line 2 cannot move later (it would run past the end of the track)
    placed = place_lines([(0.0, 1.0), (3.0, 1.8), (4.5, 1.0)], max_shift=0.5, total_seconds=5.5)
    assert placed[2].start == pytest.approx(4.5, abs=1e-3)
    assert placed[1].start == pytest.approx(4.5 - GAP - 1.8, abs=1e-3)
    assert placed[1].shift < 0 and placed[0].shift == pytest.approx(0.0, abs=1e-3)
    assert _overlap(placed[1], placed[2]) == 0.0


def test_crosstalk_is_laid_one_line_after_the_other_when_the_shift_stays_within_the_bound():
    # two people talk at once for 0.8 s: one line earlier, the other later, no overlap
    placed = place_lines([(1.0, 2.0), (2.2, 1.5)], max_shift=0.5, total_seconds=10.0)
    assert _overlap(*placed) == 0.0
    assert all(abs(p.shift) <= 0.5 + 1e-6 for p in placed)
    assert placed[0].shift < 0 < placed[1].shift


def test_crosstalk_beyond_the_bound_stays_within_it_and_overlaps_less():
    # 1.8 s of crosstalk cannot be undone by moving each line at most 0.5 s
    spans = [(1.0, 3.0), (2.2, 2.0)]
    placed = place_lines(spans, max_shift=0.5, total_seconds=10.0)
    assert all(abs(p.shift) <= 0.5 + 1e-6 for p in placed)
    assert 0.0 < _overlap(*placed) < 1.8
    assert placed[0].start <= placed[1].start


def test_nothing_moves_beyond_the_bound_and_order_is_kept():
    spans = [(0.0, 3.0), (0.5, 2.5), (1.0, 2.0), (1.2, 1.0), (6.0, 1.0), (6.1, 4.0), (7.0, 0.5)]
    for bound in (0.0, 0.3, 1.0):
        placed = place_lines(spans, max_shift=bound, total_seconds=12.0)
        assert [p.index for p in placed] == list(range(len(spans)))
        assert all(abs(p.shift) <= bound + 1e-6 for p in placed)
        assert all(p.start >= 0.0 for p in placed)
        starts = [p.start for p in placed]
        assert starts == sorted(starts)  # the source order (already by start)


def test_lines_that_do_not_meet_stay_at_their_source_time():
    spans = [(0.0, 1.0), (2.0, 1.0), (5.0, 0.5)]
    placed = place_lines(spans, max_shift=1.0, total_seconds=10.0)
    assert [p.start for p in placed] == [0.0, 2.0, 5.0]


def test_results_come_back_in_input_order_for_unsorted_input():
    placed = place_lines([(2.0, 1.0), (0.0, 2.3)], max_shift=0.5, total_seconds=10.0)
    assert placed[0].source_start == 2.0 and placed[1].source_start == 0.0
    assert placed[1].end + GAP <= placed[0].start + 1e-3


def test_negative_bound_is_refused():
    with pytest.raises(MediaError):
        place_lines([(0.0, 1.0)], max_shift=-0.1)


def test_where_lines_still_overlap_the_shorter_one_is_lowered_there_only():
    rate = 1000
    long, short = np.ones(3000, np.float32), np.ones(1000, np.float32)
    placed = place_lines([(0.0, 3.0), (1.0, 1.0)], max_shift=0.0)  # crosstalk kept: no shift allowed
    out_long, out_short = duck_talked_over([(long, rate), (short, rate)], placed)
    assert np.array_equal(out_long, long)  # the longer line (more words) is left as it is
    assert np.allclose(out_short, 10 ** (DUCK_DB / 20))  # the whole short line sounds under the long one
    # a line overlapped only at its start is lowered there and back to full level after
    placed = place_lines([(0.0, 1.5), (1.0, 2.0)], max_shift=0.0)
    first, second = duck_talked_over([(np.ones(1500, np.float32), rate), (np.ones(2000, np.float32), rate)], placed)
    assert np.array_equal(second, np.ones(2000, np.float32))
    assert first[:900].max() == 1.0 and first[1100:].max() == pytest.approx(10 ** (DUCK_DB / 20))


def test_lines_laid_apart_are_not_lowered():
    placed = place_lines([(0.0, 2.3), (2.0, 1.0)], max_shift=0.5, total_seconds=10.0)
    clips = [(np.ones(2300, np.float32), 1000), (np.ones(1000, np.float32), 1000)]
    assert all(np.array_equal(out, c) for out, (c, _) in zip(duck_talked_over(clips, placed), clips))


def _tone(seconds: float, rate: int = 16000, hz: float = 220.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_talked_over_counts_each_lines_seconds_under_another():
    from media.placement import Placement, talked_over

    placed = [Placement(0, 0.0, 0.0, 3.0), Placement(1, 1.0, 1.0, 1.0), Placement(2, 5.0, 5.0, 1.0)]
    assert talked_over(placed) == pytest.approx([1.0, 1.0, 0.0])


def test_crosstalk_that_placement_cannot_undo_is_spoken_faster_within_the_cap():
    from media.placement import arrange_lines, talked_over

    rate = 16000
    # two people talking at once for 2 s, with no room around them to move into within 0.5 s
    clips = [(_tone(3.0, rate), rate), (_tone(2.5, rate, 330.0), rate), (_tone(1.0, rate), rate)]
    starts, speeds = [1.0, 1.5, 4.3], [1.0, 1.2, 1.0]
    plain, where0 = arrange_lines(clips, starts, speeds, max_shift=0.5, total_seconds=5.3, crosstalk_cap=1.0)
    assert [len(s) for s, _ in plain] == [len(s) for s, _ in clips]  # cap 1: nothing sped up
    before = sum(talked_over(where0))
    assert before > 1.0
    quick, where = arrange_lines(clips, starts, speeds, max_shift=0.5, total_seconds=5.3, crosstalk_cap=1.5)
    after = sum(talked_over(where))
    assert after < before - 0.5
    for (samples, _), (orig, _), v in zip(quick, clips, speeds):
        factor = len(orig) / len(samples)
        assert factor * v <= 1.5 + 0.02  # the overall speed-up stays within the crosstalk cap
    assert len(quick[0][0]) < len(clips[0][0]) and len(quick[1][0]) < len(clips[1][0])
    assert all(abs(at.shift) <= 0.5 + 1e-6 for at in where)
