"""Median pitch, read through a music bed: the gender hint that picks pass-1 preset voices must
not hear a man as a woman because chords play under him."""
from __future__ import annotations

import numpy as np
import pytest

from media.audio import resample
from media.demo import music_bed
from media.prosody import gender_hint, median_f0, semitones_between
from media.tts import TtsRequest, VoiceSpec, character_voice, synthesize

RATE = 16000
TEXT = "Did you hear the storm last night? The whole harbour was awake until dawn."


def speech(voice: VoiceSpec) -> np.ndarray:
    r = synthesize(TtsRequest(TEXT, "en", voice=voice))
    return resample(r.samples, r.sample_rate, RATE).astype(np.float64)


def over_bed(x: np.ndarray, snr_db: float) -> np.ndarray:
    bed = music_bed(len(x) / RATE + 1.0, RATE)[: len(x), 0].astype(np.float64)
    gain = np.sqrt(np.mean(x**2)) / np.sqrt(np.mean(bed**2)) * 10 ** (-snr_db / 20)
    return x + gain * bed


@pytest.mark.parametrize("voice, low, high, hint", [
    (VoiceSpec("piper", "en_US-joe-medium"), 85, 135, "m"),
    (character_voice("ANNA", "f", index=0), 220, 320, "f"),
])
def test_pitch_of_a_voice_clean_and_under_music(voice, low, high, hint):
    x = speech(voice)
    read = {}
    for snr in (None, 12, 4):  # clean, a normal mix, music nearly as loud as the voice
        f0 = read[snr] = median_f0(x if snr is None else over_bed(x, snr), RATE)
        assert f0 is not None and low < f0 < high, (snr, f0)
        assert gender_hint(f0) == hint
    print(f"median F0 of {voice.key}: clean / 12 dB / 4 dB SNR under chords = "
          + " / ".join(f"{read[k]:.0f}" for k in (None, 12, 4)) + " Hz")


def test_no_pitch_in_silence_noise_or_too_little_audio():
    rng = np.random.default_rng(0)
    assert median_f0(np.zeros(RATE), RATE) is None
    assert median_f0(rng.normal(0, 0.1, RATE * 2), RATE) is None
    assert median_f0(np.zeros(100), RATE) is None
    assert gender_hint(None) == ""


def test_semitones():
    assert semitones_between(110.0, 220.0) == pytest.approx(12.0)
    assert semitones_between(None, 220.0) == 0.0
