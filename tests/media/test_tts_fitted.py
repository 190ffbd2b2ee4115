"""One line spoken and fitted as the tts stage fits it, and the speaking-rate model of the budget,
with the real bundled Piper voice."""
from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from media.timing import MIN_SPEED, settle_clip
from media.tts import TtsRequest, VoiceSpec, synthesize
from media.tts.fitted import synthesize_fitted, wav_bytes
from media.tts.rate import CALIBRATION, calibrate, features, fit_rate

PIPER = VoiceSpec("piper", "en_US-joe-medium")
HELD_OUT = ["How are you doing this fine evening?", "Get out of here, now!", "Okay.",
            "We need to find the map before sunset, or we will be lost in the forest.",
            "Listen to me. This is important. Do not open that door."]


def test_settle_slows_a_short_clip_toward_its_slot_but_not_below_the_floor():
    rate = 16000
    tone = np.sin(np.linspace(0, 2000, rate)).astype(np.float32)  # 1 s
    assert len(settle_clip(tone, rate, 1.05)) == rate  # ≥ 90 % of the slot: untouched
    assert len(settle_clip(tone, rate, 1.2)) == pytest.approx(1.2 * rate, abs=2)
    assert len(settle_clip(tone, rate, 3.0)) == pytest.approx(rate / MIN_SPEED, abs=2)


def test_a_fitted_line_fills_a_short_slot_at_the_cap_and_borrows_the_gap():
    raw = synthesize(TtsRequest(HELD_OUT[3], "en", voice=PIPER)).duration
    line = synthesize_fitted(TtsRequest(HELD_OUT[3], "en", voice=PIPER), slot=raw / 1.5, gap_after=0.1, cap=1.35)
    assert line.provider == "piper" and line.speed == pytest.approx(1.35, abs=0.01)
    assert line.fit.borrowed > 0 and line.fit.flagged
    easy = synthesize_fitted(TtsRequest("Okay.", "en", voice=PIPER), slot=5.0)
    assert easy.speed == pytest.approx(MIN_SPEED, abs=0.01)  # slowed toward a long slot, to the floor
    samples, rate = sf.read(io.BytesIO(wav_bytes(easy.samples, easy.sample_rate)), dtype="float32")
    assert rate == easy.sample_rate and len(samples) == len(easy.samples)


def test_features_count_letters_pauses_and_sentences():
    assert features("Wait! Where are you going, Anna?") == (24.0, 1.0, 2.0)
    assert features("no punctuation") == (13.0, 0.0, 1.0)


def test_the_calibrated_rate_estimates_held_out_lines():
    rate = calibrate(PIPER, "en", lambda request: synthesize(request).duration)
    assert rate.samples == len(CALIBRATION) and rate.per_letter > 0
    for text in HELD_OUT:
        real = synthesize(TtsRequest(text, "en", voice=PIPER)).duration
        assert rate.seconds(text) == pytest.approx(real, rel=0.2, abs=0.2), text  # one word: ± 0.2 s
    assert rate.seconds("") == 0.0


def test_a_few_observations_fit_a_letters_only_rate():
    rate = fit_rate(["Hello there.", "How are you?"], [1.0, 1.0])
    assert rate.per_pause == rate.base == 0.0 and rate.seconds("Hello there.") == pytest.approx(10 * 2.0 / 19, rel=1e-6)
