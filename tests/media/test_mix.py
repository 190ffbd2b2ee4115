"""The dub mix: loudness on target, true peak under the ceiling, bed ducked under dialogue;
and the dialogue track built from clips placed on the timeline."""
import json

import numpy as np
import pytest
import soundfile as sf

from media.audio import load
from media.cli import main
from media.errors import MediaError
from media.loudness import measure
from media.mix import mix, place_clips

SR = 48000


def tone(seconds, freq, amp):
    t = np.arange(int(round(seconds * SR))) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def band_rms_db(x, freq, lo, hi):
    """RMS (dB) of the `freq` band of x[lo:hi] (FFT mask of ±40 Hz)."""
    seg = x[lo:hi]
    spec = np.fft.rfft(seg)
    f = np.fft.rfftfreq(len(seg), 1 / SR)
    spec[np.abs(f - freq) > 40] = 0
    y = np.fft.irfft(spec, len(seg))
    return 20 * np.log10(np.sqrt(np.mean(y**2)) + 1e-12)


@pytest.fixture
def bursts(tmp_path):
    """20 s: a steady 200 Hz bed, and 3 s dialogue bursts (1 kHz) at 2, 8 and 14 s."""
    bed = tone(20, 200, 0.3)
    sf.write(tmp_path / "bed.wav", np.stack([bed, bed], 1), SR)
    starts = [2.0, 8.0, 14.0]
    placed = place_clips([(s, tone(3, 1000, 0.2), SR) for s in starts], 20.0, tmp_path / "dialogue.wav")
    return tmp_path, starts, placed


def test_loudness_true_peak_and_ducking(bursts):
    folder, starts, _ = bursts
    result = mix(folder / "dialogue.wav", folder / "bed.wav", folder / "mix.wav")
    assert abs(result.integrated_lufs - (-23.0)) <= 1.0
    assert result.true_peak_dbtp <= -1.0
    # the file on disk says the same as the result
    again = measure(folder / "mix.wav")
    assert again.integrated_lufs == pytest.approx(result.integrated_lufs, abs=0.05)
    # (metered on the way out, before the file's 24-bit quantization)
    assert again.true_peak_dbtp == pytest.approx(result.true_peak_dbtp, abs=0.05)
    out = load(folder / "mix.wav").samples.mean(axis=1)
    assert load(folder / "mix.wav").sample_rate == SR and len(out) == 20 * SR
    under = np.mean([band_rms_db(out, 200, int((s + 0.5) * SR), int((s + 2.5) * SR)) for s in starts])
    clear = np.mean([band_rms_db(out, 200, int((s + 3.8) * SR), int((s + 5.5) * SR)) for s in starts])
    ducking = under - clear
    assert ducking <= -8.0, f"bed only {ducking:.1f} dB lower under dialogue"
    assert ducking >= -12.0  # bounded by duck_db (-10): the bed is lowered, not removed


def test_target_and_depth_are_configurable(bursts):
    folder, starts, _ = bursts
    result = mix(folder / "dialogue.wav", folder / "bed.wav", folder / "mix.wav", target_lufs=-16.0, duck_db=-4.0)
    assert abs(result.integrated_lufs - (-16.0)) <= 1.0 and result.true_peak_dbtp <= -1.0
    out = load(folder / "mix.wav").samples.mean(axis=1)
    under = band_rms_db(out, 200, int(8.5 * SR), int(10.5 * SR))
    clear = band_rms_db(out, 200, int(11.8 * SR), int(13.5 * SR))
    assert -6.0 <= under - clear <= -2.5


def test_peaky_material_is_limited_under_ceiling(tmp_path):
    rng = np.random.default_rng(0)
    x = (0.02 * rng.standard_normal(SR * 10)).astype(np.float32)
    for k in range(0, len(x), SR // 2):  # full-scale clicks on a quiet bed
        x[k:k + 20] = 0.99 * np.sign(rng.standard_normal(20))
    sf.write(tmp_path / "peaky.wav", x, SR)
    result = mix(tmp_path / "peaky.wav", None, tmp_path / "out.wav")
    assert result.true_peak_dbtp <= -1.0
    assert abs(result.integrated_lufs - (-23.0)) <= 1.0


def test_real_speech_over_bed(eval_dir, tmp_path):
    """jfk.flac (real speech, 16 kHz mono) padded by 3 s of silence, over a 10 kHz bed tone."""
    speech = load(eval_dir / "jfk.flac", mono=True).samples
    pad = np.zeros(3 * 16000, np.float32)
    sf.write(tmp_path / "dlg.wav", np.concatenate([pad, speech, pad]), 16000)
    total = (len(speech) + 2 * len(pad)) / 16000
    bed = tone(total, 10000, 0.1)
    sf.write(tmp_path / "bed.wav", np.stack([bed, bed], 1), SR)
    result = mix(tmp_path / "dlg.wav", tmp_path / "bed.wav", tmp_path / "mix.wav")
    assert abs(result.integrated_lufs + 23.0) <= 1.0 and result.true_peak_dbtp <= -1.0
    assert result.duration == pytest.approx(total, abs=0.01)
    out = load(tmp_path / "mix.wav").samples.mean(axis=1)
    under = band_rms_db(out, 10000, int(4 * SR), int((total - 4) * SR))
    clear = band_rms_db(out, 10000, int(0.2 * SR), int(2.8 * SR))
    assert under - clear <= -6.0, f"bed only {under - clear:.1f} dB lower under real speech"


def test_place_clips_positions_overlaps_and_edges(tmp_path):
    a = tone(1.0, 440, 0.5)
    b = tone(0.5, 660, 0.5)
    sf.write(tmp_path / "b.wav", b, 24000)  # another rate: resampled on placement
    clips = [(1.0, a, SR), (1.8, tmp_path / "b.wav"), (4.8, a, SR), (6.0, a, SR)]
    result = place_clips(clips, 5.0, tmp_path / "track.wav", block_seconds=0.7)
    track = load(tmp_path / "track.wav").samples
    assert len(track) == 5 * SR and result.duration == 5.0 and result.placed == 3
    assert np.all(track[: SR - 1] == 0)
    assert np.abs(track[SR: SR + 100]).max() > 0  # starts exactly at 1.0 s
    assert result.overlaps == [(0, 1, pytest.approx(0.2, abs=0.002))]
    assert (2, pytest.approx(0.8, abs=0.002)) in result.truncated  # 4.8 + 1.0 > 5.0
    assert (3, pytest.approx(1.0, abs=0.002)) in result.truncated  # starts after the end
    # the sum of overlapping clips is kept (float), not clipped
    assert np.abs(track[int(1.85 * SR): int(1.95 * SR)]).max() > 0.6


def test_place_clips_needs_rate_for_arrays(tmp_path):
    with pytest.raises(MediaError):
        place_clips([(0.0, np.zeros(10, np.float32))], 1.0, tmp_path / "t.wav")


def test_mix_cli(bursts, capsys):
    folder, _, _ = bursts
    code = main(["mix", "--dialogue", str(folder / "dialogue.wav"), "--background", str(folder / "bed.wav"),
                 "--out", str(folder / "cli.wav"), "--target-lufs", "-20"])
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    assert abs(printed["integrated_lufs"] + 20.0) <= 1.0 and printed["true_peak_dbtp"] <= -1.0
    assert abs(measure(folder / "cli.wav").integrated_lufs + 20.0) <= 1.0
