"""Separation: demucs through its real loading code (a tiny HTDemucs saved in the MODELS_DIR
layout), chunked processing, and the flagged fallback."""
import hashlib
import io

import numpy as np
import pytest
import soundfile as sf

from media.audio import load
from media.cli import main
from media.errors import InvalidMediaError
from media.separation import DemucsEngine, FallbackEngine, registry, separate

SR = 48000


def tone(seconds, freq, amp=0.3):
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def band_db(x, freq):
    spec = np.abs(np.fft.rfft(x))
    f = np.fft.rfftfreq(len(x), 1 / SR)
    return 20 * np.log10(spec[np.abs(f - freq) < 5].max() + 1e-12)


@pytest.fixture
def mix_wav(tmp_path):
    """Stereo 48 kHz: 100 Hz and 1 kHz centred, 6 kHz on the left only."""
    centre = tone(5.5, 100) + tone(5.5, 1000)
    left = centre + tone(5.5, 6000, 0.1)
    sf.write(tmp_path / "mix.wav", np.stack([left, centre], 1), SR)
    return tmp_path / "mix.wav"


def save_tiny_demucs(folder, name="htdemucs"):
    """A random-weight HTDemucs (ENVIRONMENT.md's tiny config) saved as demucs' repo layout."""
    import torch
    from demucs.htdemucs import HTDemucs

    torch.manual_seed(0)
    kwargs = dict(sources=["drums", "bass", "other", "vocals"], channels=8, depth=4, t_layers=1, t_heads=2,
                  nfft=1024, segment=4)
    model = HTDemucs(**kwargs)
    buf = io.BytesIO()
    torch.save({"klass": HTDemucs, "args": (), "kwargs": kwargs, "state": model.state_dict()}, buf)
    sig = hashlib.sha256(buf.getvalue()).hexdigest()[:8]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"tiny0001-{sig}.th").write_bytes(buf.getvalue())  # checksum in the name: verified on load
    (folder / f"{name}.yaml").write_text("models: ['tiny0001']\n")
    return folder


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    save_tiny_demucs(root / "demucs")
    return root


def test_no_weights_reason(monkeypatch, tmp_path, mix_wav):
    monkeypatch.setenv("MODELS_DIR", str(tmp_path / "empty"))
    ok, reason = DemucsEngine().availability()
    assert not ok and "no demucs weights" in reason
    result = separate(mix_wav, tmp_path / "stems")
    assert result.engine == "deepfilternet" and not result.degraded  # the next engine, with demucs' reason
    assert any(r.startswith("demucs: no demucs weights") for r in result.reasons)


def test_missing_model_name_reason(monkeypatch, tiny_models):
    monkeypatch.setenv("MODELS_DIR", str(tiny_models))
    ok, reason = DemucsEngine("mdx_extra").availability()
    assert not ok and "mdx_extra" in reason


def test_fallback_passes_mix_and_band_stops_bed(tmp_path, mix_wav):
    result = separate(mix_wav, tmp_path / "stems", preference=["passthrough"])
    assert result.engine == "passthrough" and result.degraded and result.reasons
    src = load(mix_wav).samples
    dlg, bed = load(result.dialogue), load(result.background)
    assert dlg.sample_rate == bed.sample_rate == SR and dlg.channels == bed.channels == 2
    assert len(dlg.samples) == len(src) and len(bed.samples) == len(src)
    assert np.corrcoef(dlg.samples[:, 0], src[:, 0])[0, 1] > 0.999  # dialogue = the full mix
    centre = bed.samples.mean(axis=1)
    side = (bed.samples[:, 0] - bed.samples[:, 1]) / 2
    # speech band (1 kHz, centred) strongly cut; bass kept at about -12 dB; side (6 kHz) kept
    src_c = src.mean(axis=1)
    assert band_db(centre, 1000) < band_db(src_c, 1000) - 30
    assert band_db(centre, 100) == pytest.approx(band_db(src_c, 100) - 12, abs=2.5)
    assert band_db(side, 6000) > band_db(centre, 1000) + 20


@pytest.mark.slow
def test_tiny_demucs_runs_real_loading_and_inference(monkeypatch, tiny_models, tmp_path, mix_wav):
    monkeypatch.setenv("MODELS_DIR", str(tiny_models))
    ok, reason = DemucsEngine().availability()
    assert ok, reason
    result = separate(mix_wav, tmp_path / "stems")
    assert result.engine == "demucs" and not result.degraded and result.reasons == []
    for path in (result.dialogue, result.background):
        audio = load(path)
        assert audio.sample_rate == SR and audio.channels == 2  # back at the source's rate
        assert audio.duration == pytest.approx(5.5, abs=0.002)
        assert np.isfinite(audio.samples).all() and np.abs(audio.samples).max() > 0
    assert not list((tmp_path / "stems").glob(".separate-*"))  # work files cleaned up


@pytest.mark.slow
def test_chunked_matches_single_pass(monkeypatch, tiny_models, tmp_path):
    """Chunks (60 s by default) hold a 25-minute episode in memory; seams must not change the result."""
    monkeypatch.setenv("MODELS_DIR", str(tiny_models))
    t = np.arange(10 * SR) / SR
    noise = np.random.default_rng(0).standard_normal(len(t))
    x = (0.3 * np.sin(2 * np.pi * 100 * t) + 0.2 * np.sin(2 * np.pi * 1000 * t) * (1 + np.sin(np.pi * t))
         + 0.02 * noise).astype(np.float32)
    sf.write(tmp_path / "long.wav", np.stack([x, 0.8 * x], 1), SR)
    whole = DemucsEngine(chunk_seconds=60).separate(tmp_path / "long.wav", tmp_path / "whole")
    chunked = DemucsEngine(chunk_seconds=3, overlap_seconds=1).separate(tmp_path / "long.wav", tmp_path / "chunked")
    a, b = load(whole.dialogue).samples[:, 0], load(chunked.dialogue).samples[:, 0]
    assert a.shape == b.shape == (10 * SR,)
    per_second = [np.corrcoef(a[i * SR:(i + 1) * SR], b[i * SR:(i + 1) * SR])[0, 1] for i in range(10)]
    assert np.median(per_second) > 0.99  # away from seams: the same output
    assert min(per_second) > 0.8  # at seams: crossfaded, no break
    assert np.corrcoef(a, b)[0, 1] > 0.9


@pytest.mark.slow
def test_corrupt_weights_fall_back_with_reason(monkeypatch, tmp_path, mix_wav):
    folder = tmp_path / "models" / "demucs"
    folder.mkdir(parents=True)
    (folder / "tiny0002-deadbeef.th").write_bytes(b"not a checkpoint")
    (folder / "htdemucs.yaml").write_text("models: ['tiny0002']\n")
    monkeypatch.setenv("MODELS_DIR", str(tmp_path / "models"))
    result = separate(mix_wav, tmp_path / "stems")
    assert result.engine == "deepfilternet" and not result.degraded
    assert any(r.startswith("demucs: failed:") for r in result.reasons)


def test_invalid_input(tmp_path):
    (tmp_path / "x.wav").write_text("nope")
    with pytest.raises(InvalidMediaError):
        separate(tmp_path / "x.wav", tmp_path / "stems")


def test_registry_order_and_cli(tmp_path, mix_wav, capsys, monkeypatch):
    monkeypatch.setenv("MODELS_DIR", str(tmp_path / "empty"))
    assert registry().names() == ["demucs", "deepfilternet", "passthrough"]
    assert FallbackEngine().availability()[0]
    assert main(["separate", str(mix_wav), "--out", str(tmp_path / "cli"), "--engine", "passthrough"]) == 0
    assert '"degraded": true' in capsys.readouterr().out
    assert (tmp_path / "cli" / "dialogue.wav").is_file() and (tmp_path / "cli" / "background.wav").is_file()


def test_mono_source_keeps_its_level(tmp_path):
    x = tone(3.0, 440, 0.5)
    sf.write(tmp_path / "mono.wav", x, SR)
    result = separate(tmp_path / "mono.wav", tmp_path / "stems", preference=["passthrough"])
    dlg = load(result.dialogue).samples
    assert dlg.shape == (len(x), 2)
    assert np.abs(dlg[:, 0]).max() == pytest.approx(0.5, abs=0.01)  # not 3 dB down
    assert np.allclose(dlg[:, 0], dlg[:, 1])
