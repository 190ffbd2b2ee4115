"""Metrics: WER normalisation, DER and pyannote's collar convention, timing fit, VAD overlap."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from media import metrics
from media.diarization import Turn, read_rttm
from media.embeddings import Embedding, EmbeddingMismatch
from media.errors import MediaError


def test_wer_normalises_case_and_punctuation():
    ref = "And so my fellow Americans, ask not what your country can do for you."
    assert metrics.wer(ref, "and so, my fellow americans -- ask not what your country can do for you") == 0.0
    assert metrics.wer("one two three four", "one two four") == pytest.approx(0.25)
    assert metrics.normalize_text("Don't STOP!  “Now”") == "don't stop now"
    assert metrics.wer("", "") == 0.0
    assert metrics.wer("", "words") == 1.0
    assert metrics.wer("some words", "") == 1.0


def test_der_perfect_and_known_errors():
    ref = [Turn(0, 10, "a"), Turn(10, 20, "b")]
    assert metrics.der(ref, [Turn(0, 10, "x"), Turn(10, 20, "y")], collar=0).der == 0.0  # labels are mapped
    half = metrics.der(ref, [Turn(0, 10, "x")], collar=0)
    assert half.der == pytest.approx(0.5) and half.missed == pytest.approx(10.0)
    confused = metrics.der(ref, [Turn(0, 20, "x")], collar=0)
    assert confused.confusion == pytest.approx(10.0) and confused.der == pytest.approx(0.5)
    with pytest.raises(MediaError):
        metrics.der([], ref)


def test_der_by_region_keeps_one_mapping_for_the_whole():
    """Two recordings in one episode: the same two people in both, swapped in the second. Each
    region scored alone would map labels afresh and forgive the swap; one mapping does not."""
    ref = [Turn(0, 10, "a"), Turn(10, 20, "b"), Turn(30, 40, "a"), Turn(40, 50, "b")]
    hyp = [Turn(0, 10, "x"), Turn(10, 20, "y"), Turn(30, 40, "y"), Turn(40, 45, "x")]
    first, second = metrics.der_by_region(ref, hyp, [(0, 25), (25, 50)], collar=0)
    assert first.der == 0.0 and first.total == pytest.approx(20.0)
    assert second.confusion == pytest.approx(15.0) and second.missed == pytest.approx(5.0)
    assert second.der == pytest.approx(1.0)
    assert metrics.der(ref[2:], hyp[2:], collar=0).der == pytest.approx(0.25)  # alone: only the miss
    with pytest.raises(MediaError):
        metrics.der_by_region([], hyp, [(0, 1)])


def test_collar_is_total_width_centred_on_boundaries():
    """pyannote collar=0.25 forgives ±0.125 s; a 0.1 s boundary shift is inside, 0.2 s is not."""
    ref = [Turn(0, 5, "a"), Turn(5, 10, "b")]
    shifted = [Turn(0, 5.1, "a"), Turn(5.1, 10, "b")]
    assert metrics.der(ref, shifted, collar=0.25).der == 0.0
    assert metrics.der(ref, shifted, collar=0.1).der > 0.0  # ±0.05 does not cover 0.1 s
    far = [Turn(0, 5.2, "a"), Turn(5.2, 10, "b")]
    assert metrics.der(ref, far, collar=0.25).der > 0.0


def test_der_of_reference_against_itself(eval_dir):
    turns = read_rttm(eval_dir / "sample.rttm")["sample"]
    assert metrics.der(turns, turns).der == 0.0


def test_embedding_cosine_refuses_other_models():
    a = Embedding(np.array([1, 0, 0], np.float32), "m1", 3)
    b = Embedding(np.array([1, 1, 0], np.float32), "m1", 3)
    assert metrics.embedding_cosine(a, b) == pytest.approx(1 / np.sqrt(2))
    with pytest.raises(EmbeddingMismatch):
        metrics.embedding_cosine(a, Embedding(a.vector, "m2", 3))


def test_timing_fit_counts_overruns():
    fit = metrics.timing_fit([(2.0, 1.5), (2.0, 2.5), (1.0, 1.04), (3.0, 4.0)], tolerance=0.05)
    assert fit.lines == 4 and fit.overruns == 2  # 1.04 s in a 1 s slot is within 5 %
    assert fit.max_overrun == pytest.approx(1.0)
    assert fit.total_overrun == pytest.approx(1.5)
    assert fit.mean_fill == pytest.approx((0.75 + 1.25 + 1.04 + 4 / 3) / 4)
    assert metrics.timing_fit([]).lines == 0
    with pytest.raises(MediaError):
        metrics.timing_fit([(0.0, 1.0)])


@pytest.mark.slow
def test_vad_overlap_between_files(eval_dir, tmp_path):
    jfk = eval_dir / "jfk.flac"
    same = metrics.vad_overlap(jfk, jfk)
    assert same.coverage == pytest.approx(1.0) and same.iou == pytest.approx(1.0)
    samples, rate = sf.read(jfk, dtype="float32")
    half = samples.copy()
    half[len(half) // 2:] = 0  # the "dub" drops the second half
    path = tmp_path / "half.wav"
    sf.write(path, half, rate)
    partial = metrics.vad_overlap(jfk, path)
    assert 0.2 < partial.coverage < 0.8
    assert partial.other_speech < partial.reference_speech
