"""VAD: silero (bundled) and the energy gate on real speech, silence and bad input."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from media import vad
from media.errors import InvalidMediaError
from media.vad import Region

SR = 16000


def test_region_algebra():
    a = [Region(0, 2), Region(1, 3), Region(5, 6)]  # overlapping input is merged
    b = [Region(2, 5.5)]
    assert vad.total(a) == pytest.approx(4.0)
    assert vad.intersection(a, b) == pytest.approx(1.5)
    assert vad.coverage(a, b) == pytest.approx(1.5 / 4.0)
    assert vad.iou(a, b) == pytest.approx(1.5 / (4.0 + 3.5 - 1.5))
    assert vad.speech_ratio(a, 8.0) == pytest.approx(0.5)
    assert vad.speech_ratio([], 0.0) == 0.0
    assert vad.coverage([], b) == 1.0  # nothing to cover
    assert vad.merge_regions([Region(0, 1), Region(1.1, 2)], gap=0.2) == [Region(0, 2)]


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["silero", "energy"])
def test_speech_found_on_real_recording(eval_dir, engine):
    regions = vad.detect(eval_dir / "jfk.flac", engine=engine)
    assert regions, "no speech found in jfk.flac"
    assert all(0 <= r.start < r.end <= 11.01 for r in regions)
    assert [r.start for r in regions] == sorted(r.start for r in regions)
    # the speech spans ~0.3-10.6 s with pauses between the phrases
    assert 5.0 < vad.total(regions) < 10.5
    assert regions[0].start < 1.0 and regions[-1].end > 9.5


@pytest.mark.slow
def test_silero_separates_speakers_pause_on_sample(eval_dir):
    """sample.wav is silent for its first ~6.6 s (per its RTTM)."""
    regions = vad.detect(eval_dir / "sample.wav", engine="silero")
    assert regions[0].start > 6.0
    assert vad.speech_ratio(regions, 30.0) > 0.6


@pytest.mark.parametrize("engine", ["silero", "energy"])
def test_silence_and_tiny_inputs_have_no_speech(engine):
    assert vad.detect(np.zeros(SR * 3, np.float32), SR, engine=engine) == []
    assert vad.detect(np.zeros(100, np.float32), SR, engine=engine) == []  # shorter than a window
    noise = (np.random.default_rng(0).standard_normal(SR * 2) * 1e-5).astype(np.float32)
    assert vad.detect(noise, SR, engine=engine) == []


def test_resamples_other_rates(eval_dir):
    samples, rate = sf.read(eval_dir / "jfk.flac", dtype="float32")
    from media.audio import resample

    at_8k = resample(samples, rate, 8000)
    regions = vad.detect(at_8k, 8000, engine="energy")
    assert regions and regions[-1].end <= 11.01


def test_bad_inputs_are_clear_errors(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 10)
    eight = tmp_path / "eight.wav"
    sf.write(eight, np.zeros((SR, 8), np.float32), SR)
    for path, message in ((empty, "empty"), (corrupt, "corrupt|cannot read|not a readable"),
                          (eight, "8 channels")):
        with pytest.raises(InvalidMediaError, match=message):
            vad.detect(path)
    with pytest.raises(InvalidMediaError, match="NaN"):
        vad.detect(np.full(SR, np.nan, np.float32), SR)


def test_registry_prefers_silero_and_names_fallback():
    reg = vad.registry()
    assert reg.names() == ["silero", "energy"]
    assert reg.select().name == "silero"


def test_silero_runs_on_its_own_thread_count_and_restores_torch(eval_dir, monkeypatch):
    """silero runs with MEDIA_VAD_THREADS torch threads (one by default: two made it 4x slower once
    faster-whisper had run in the process) and gives the caller's thread count back; the count does
    not change what is found."""
    import torch

    before = torch.get_num_threads()
    one = vad.detect(eval_dir / "jfk.flac", engine="silero")
    assert torch.get_num_threads() == before
    monkeypatch.setenv("MEDIA_VAD_THREADS", "2")
    two = vad.detect(eval_dir / "jfk.flac", engine="silero")
    assert torch.get_num_threads() == before
    assert one and [(round(r.start, 3), round(r.end, 3)) for r in one] == [(round(r.start, 3), round(r.end, 3)) for r in two]
