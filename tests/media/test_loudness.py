"""EBU R128 meter: known signals read their known loudness; true peak sees intersample peaks."""
import math

import numpy as np
import pytest
import soundfile as sf

from media.cli import main
from media.errors import InvalidMediaError
from media.loudness import SILENCE_DBTP, SILENCE_LUFS, measure, measure_array

SR = 48000


def sine(db: float, seconds: float = 5.0, freq: float = 997.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (10 ** (db / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_sine_reads_its_level():
    # a 997 Hz sine on both channels reads its peak level in LUFS (the R128 calibration point)
    x = sine(-20.0)
    result = measure_array(np.stack([x, x], axis=1), SR)
    assert result.integrated_lufs == pytest.approx(-20.0, abs=0.2)
    assert result.true_peak_dbtp == pytest.approx(-20.0, abs=0.2)


def test_mono_is_measured_as_dual_mono():
    x = sine(-18.0)
    assert measure_array(x, SR).integrated_lufs == pytest.approx(
        measure_array(np.stack([x, x], axis=1), SR).integrated_lufs, abs=0.1)


def test_true_peak_sees_between_samples():
    # fs/4 sine at 45 degrees: every sample sits at 0.707 of the waveform's real peak
    n = np.arange(SR * 3)
    x = (0.9 * np.sin(2 * np.pi * n / 4 + np.pi / 4)).astype(np.float32)
    sample_peak_db = 20 * math.log10(float(np.max(np.abs(x))))
    result = measure_array(x, SR)
    assert result.true_peak_dbtp > sample_peak_db + 2.0
    real = 20 * math.log10(0.9)
    # ffmpeg's 4x interpolator overshoots a little at fs/4: it errs high, the safe side for a ceiling
    assert real - 0.3 <= result.true_peak_dbtp <= real + 0.75


def test_silence_and_file_agree_with_array(tmp_path):
    assert measure_array(np.zeros(SR * 2, np.float32), SR).silent
    x = sine(-30.0)
    sf.write(tmp_path / "s.wav", x, SR, subtype="FLOAT")
    assert measure(tmp_path / "s.wav").integrated_lufs == pytest.approx(measure_array(x, SR).integrated_lufs, abs=0.05)


def test_silence_reads_as_the_meters_floor_not_infinity():
    """PostgreSQL refuses -Infinity in JSON: the level of silence is a number at the floor."""
    import json

    level = measure_array(np.zeros(SR * 3, np.float32), SR)
    assert (level.integrated_lufs, level.true_peak_dbtp, level.lra) == (SILENCE_LUFS, SILENCE_DBTP, 0.0)
    assert json.loads(json.dumps(level.as_dict(), allow_nan=False))["true_peak_dbtp"] == SILENCE_DBTP
    assert "-144.0 dBTP" in str(level)
    quiet = measure_array(sine(-60.0), SR)  # a real, very quiet signal still reads above the floor
    assert quiet.true_peak_dbtp > SILENCE_DBTP + 60


def test_eval_recording(eval_dir):
    result = measure(eval_dir / "jfk.flac")
    assert -40 < result.integrated_lufs < -5 and result.true_peak_dbtp <= 0.5
    # loudness only (the mix levels its key so): the same loudness, and no peak that could pass a check
    quick = measure(eval_dir / "jfk.flac", true_peak=False)
    assert quick.integrated_lufs == result.integrated_lufs and math.isnan(quick.true_peak_dbtp)


def test_not_media(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InvalidMediaError):
        measure(tmp_path / "notes.txt")


def test_cli(tmp_path, capsys):
    sf.write(tmp_path / "s.wav", sine(-23.0), SR)
    assert main(["loudness", str(tmp_path / "s.wav")]) == 0
    assert "-23.0 LUFS" in capsys.readouterr().out
    assert main(["loudness", str(tmp_path / "missing.wav")]) == 1
    assert capsys.readouterr().err.startswith("error:")


def test_short_term_loudness_follows_the_signal(tmp_path):
    import subprocess

    from media.loudness import short_term

    path = tmp_path / "steps.wav"
    # 4 s quiet tone then 4 s loud tone: the curve rises by about the 20 dB step
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=4", "-f", "lavfi", "-i",
                    "sine=f=440:d=4", "-filter_complex", "[0]volume=0.03[a];[1]volume=0.3[b];[a][b]concat=n=2:v=0:a=1",
                    str(path)], check=True, timeout=60)
    curve = short_term(path, step=0.5)
    assert 14 <= len(curve) <= 17 and curve[0][0] < 0.6
    early = [v for t, v in curve if 3.0 <= t <= 4.0]
    late = [v for t, v in curve if t >= 7.0]
    assert early and late and 17 < (sum(late) / len(late)) - (sum(early) / len(early)) < 23


def test_profile_gives_the_curve_and_the_whole_files_figures(tmp_path):
    import subprocess

    from media.loudness import measure, profile

    path = tmp_path / "tone.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=5", "-af", "volume=0.1", str(path)],
                   check=True, timeout=60)
    curve, figures = profile(path)
    alone = measure(path)
    assert len(curve) in (5, 6)
    assert abs(figures.integrated_lufs - alone.integrated_lufs) < 0.05
    assert abs(figures.true_peak_dbtp - alone.true_peak_dbtp) < 0.05 and figures.lra == alone.lra
