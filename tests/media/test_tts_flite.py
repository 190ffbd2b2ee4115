"""flite engine (the real binary, installed by scripts/setup.sh) and formant-moving voice shifts."""
from __future__ import annotations

import numpy as np
import pytest

from media.prosody import median_f0
from media.tts import TtsRequest, VoiceSpec, registry, shift_pitch, shift_voice, synthesize
from media.tts.flite import FLITE_VOICES, FliteEngine, flite_voices

TEXT = "Please bring the blue folder to the meeting tomorrow morning."


def test_flite_is_registered_before_espeak_and_available():
    names = registry().names()
    assert names.index("piper") < names.index("flite") < names.index("espeak")
    ok, why = FliteEngine().availability()
    assert ok, why
    assert set(flite_voices()) == set(FLITE_VOICES) and "awb_time" not in flite_voices()


@pytest.mark.parametrize("name", list(FLITE_VOICES))
def test_each_flite_voice_speaks_with_a_key_that_round_trips(name):
    voice = VoiceSpec("flite", name, gender=FLITE_VOICES[name])
    result = synthesize(TtsRequest(TEXT, "en", voice=voice))
    assert result.provider == "flite" and result.voice_id == voice.key
    assert VoiceSpec.parse(result.voice_id) == voice
    assert 2.0 < result.duration < 6.0 and np.abs(result.samples).max() > 0.1


def test_flite_speaks_faster_natively_and_passes_over_what_it_cannot_say():
    normal = synthesize(TtsRequest(TEXT, "en", voice=VoiceSpec("flite", "rms")))
    fast = synthesize(TtsRequest(TEXT, "en", voice=VoiceSpec("flite", "rms"), speed=1.3))
    assert 0.65 < fast.duration / normal.duration < 0.85
    unknown = synthesize(TtsRequest("Hello there.", "en", voice=VoiceSpec("flite", "nobody")))
    assert unknown.provider == "espeak" and any("flite has no voice 'nobody'" in r for r in unknown.fallback_reasons)
    german = synthesize(TtsRequest("Guten Morgen.", "de", voice=VoiceSpec("flite", "slt")))
    assert german.provider == "espeak" and any("English only" in r for r in german.fallback_reasons)


def test_text_that_looks_like_an_option_or_a_file_is_spoken():
    result = synthesize(TtsRequest("-voice", "en", voice=VoiceSpec("flite", "slt")))
    assert result.provider == "flite" and 0.2 < result.duration < 2.0


def test_formant_shift_key_round_trips():
    spec = VoiceSpec("piper", "en_US-joe-medium", gender="f", pitch_semitones=8.0, formant_semitones=3.0)
    assert spec.key == "piper:en_US-joe-medium:st=+8:fs=+3:g=f" and VoiceSpec.parse(spec.key) == spec
    assert VoiceSpec.parse("flite:slt:fs=+0").formant_semitones == 0.0
    assert VoiceSpec.parse("flite:slt").formant_semitones is None


def _centroid(x, rate):
    """Spectral centroid of the voiced part: where the formants sit, on average."""
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    freqs = np.fft.rfftfreq(len(x), 1.0 / rate)
    band = freqs < 5000
    return float((spec[band] * freqs[band]).sum() / spec[band].sum())


def test_shift_voice_moves_pitch_and_formants_independently():
    base = synthesize(TtsRequest(TEXT, "en", voice=VoiceSpec("flite", "rms")))
    x, rate = base.samples, base.sample_rate
    f0, centroid = median_f0(x, rate), _centroid(x, rate)
    joint = shift_pitch(x, rate, 5.0)  # pitch and formants up together (the older st= voices)
    kept = shift_voice(x, rate, 5.0, 0.0)  # pitch up, formants where they were
    bigger = shift_voice(x, rate, -2.0, -3.0)  # a longer vocal tract: formants down, pitch a little
    for y in (joint, kept, bigger):
        assert len(y) == len(x)
    assert median_f0(kept, rate) / f0 == pytest.approx(2 ** (5 / 12), rel=0.05)
    assert median_f0(bigger, rate) / f0 == pytest.approx(2 ** (-2 / 12), rel=0.05)
    # the spectral centroid follows the formants, damped by the harmonics' own share
    assert _centroid(joint, rate) / centroid > 1.12
    assert abs(_centroid(kept, rate) / centroid - 1.0) < 0.05
    assert _centroid(bigger, rate) / centroid < 0.95


def test_a_flite_line_too_long_for_its_slot_is_spoken_faster_not_stretched():
    from media.tts.fitted import speak_within, synthesize_fitted

    voice = VoiceSpec("flite", "slt")
    normal = synthesize(TtsRequest(TEXT, "en", voice=voice))
    slot = normal.duration / 1.25
    faster = speak_within(TtsRequest(TEXT, "en", voice=voice), slot, cap=1.35)
    assert faster.provider == "flite" and faster.native_speed == pytest.approx(normal.duration / faster.duration)
    assert faster.duration == pytest.approx(slot, rel=0.12)
    capped = speak_within(TtsRequest(TEXT, "en", voice=voice), normal.duration / 2, cap=1.35)
    assert capped.native_speed == pytest.approx(1.35, rel=0.12)  # never faster than the cap
    roomy = speak_within(TtsRequest(TEXT, "en", voice=voice), normal.duration * 1.5)
    assert roomy.native_speed == 1.0 and roomy.duration == pytest.approx(normal.duration, abs=0.01)
    piper = VoiceSpec("piper", "en_US-joe-medium")
    long_piper = speak_within(TtsRequest(TEXT, "en", voice=piper), 1.0)
    assert long_piper.provider == "piper" and long_piper.native_speed == 1.0  # Piper is stretched instead
    line = synthesize_fitted(TtsRequest(TEXT, "en", voice=voice), slot=slot)
    assert line.raw_seconds == pytest.approx(normal.duration, rel=0.01)  # the speed-up counts the faster speech
    assert line.speed == pytest.approx(1.25, rel=0.05) and line.duration == pytest.approx(slot, abs=0.03)
    # spoken faster and then stretched, a line still never goes past the cap in all
    squeezed = synthesize_fitted(TtsRequest(TEXT, "en", voice=voice), slot=normal.duration / 2, cap=1.35)
    assert squeezed.speed == pytest.approx(1.35, rel=0.03) and squeezed.fit.flagged
