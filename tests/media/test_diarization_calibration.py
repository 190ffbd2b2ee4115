"""The diarization cut (clustering.CALIBRATION, the engine's 2 s step) is the calibration
rule's answer on data that are not the composite episodes: CAM++ embeddings
of the clean eval recordings, and of the same under a drum loop, cut into the chunks the engine
clusters (10 s windows at the step, a speaker alone >= 2 s, reference turns as the masks),
same- vs different-speaker pairs within each recording; the cut is the middle of the range the
two conditions' 90 % bootstrap intervals of the equal-error point allow
(tests/bench/calibrate_diarization.py, which also prints other sources, the 1 s step, where
FINE_CALIBRATION is not the rule's answer (see there), and the leave-one-out)."""
from __future__ import annotations

import pytest

from media.diarization import clustering
from media.diarization import pyannote_engines as engines
from tests.bench.calibrate_diarization import CONDITIONS, collect, eer_with_interval, pooled, rule_cut

pytestmark = pytest.mark.slow


def test_cut_is_the_independent_calibration(eval_dir, tmp_path):
    ok, reason = engines.PyannoteOffline().availability()
    if not ok:
        pytest.skip(reason)
    engine = engines.pick_embedding(None)
    constants, seconds = clustering.CALIBRATION, engines.STEP * 10  # the step as a share of the 10 s window
    intervals = []
    for source in CONDITIONS:
        x, labels, recordings = pooled(collect(source, seconds, engine, eval_dir, tmp_path))
        intervals.append(eer_with_interval(x, labels, recordings, boot=200))
        print(f"\n{source} at the {seconds:g} s step, within recordings: {intervals[-1]}")
    cut = rule_cut(intervals)
    print(f"rule: {cut}; constant {constants[engine.name]}")
    # 0.01: the rule rounds to it, and another torch build moves embeddings in the last digits
    assert abs(constants[engine.name] - cut) <= 0.01 + 1e-9
