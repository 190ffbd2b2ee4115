"""ASR with faster-whisper: real recordings, word timestamps, languages, bad input."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from media import asr, modelpaths
from media.errors import EngineUnavailable, InvalidMediaError, MediaError
from media.metrics import wer

JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
LEFT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT = "The horizon seems extremely distant."
SR = 16000


def _needs_base():
    if modelpaths.whisper_model("base")[0] is None:
        pytest.skip("multilingual whisper base not installed (run install-bundled)")


@pytest.mark.slow
def test_jfk_with_bundled_tiny_en(eval_dir):
    t = asr.transcribe(eval_dir / "jfk.flac")
    assert t.model == "tiny.en" and t.language == "en"
    assert wer(JFK, t.text) <= 0.10, t.text
    words = [w for s in t.segments for w in s.words]
    assert len(words) >= 20
    starts = [w.start for w in words]
    assert starts == sorted(starts), "word starts must be monotonic"
    assert all(0.0 <= w.start <= w.end <= t.duration + 1e-6 for w in words)
    assert t.duration == pytest.approx(11.0, abs=0.05)
    for s in t.segments:
        assert -1.5 < s.avg_logprob <= 0 and 0 <= s.no_speech_prob <= 1
        assert 0 < s.confidence <= 1


@pytest.mark.slow
def test_each_stereo_channel_transcribed(eval_dir):
    path = eval_dir / "stereo_diarization.wav"
    left = asr.transcribe(path, channel=0)
    right = asr.transcribe(path, channel=1)
    assert wer(LEFT, left.text) <= 0.15, left.text
    assert wer(RIGHT, right.text) <= 0.15, right.text
    with pytest.raises(InvalidMediaError, match="channel 2"):
        asr.transcribe(path, channel=2)


@pytest.mark.slow
def test_clip_keeps_file_times(eval_dir):
    t = asr.transcribe(eval_dir / "jfk.flac", clip=(3.0, 8.0))
    assert "ask not what your country" in t.text.lower()
    assert "fellow" not in t.text.lower()
    words = [w for s in t.segments for w in s.words]
    assert words and all(3.0 <= w.start <= w.end <= 8.0 for w in words)
    with pytest.raises(MediaError, match="outside the audio"):
        asr.transcribe(eval_dir / "jfk.flac", clip=(20.0, 25.0))


@pytest.mark.slow
def test_silence_and_very_short_audio(tmp_path):
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(SR * 3, np.float32), SR)
    assert asr.transcribe(silent).segments == []
    short = tmp_path / "short.wav"
    sf.write(short, np.zeros(SR // 5, np.float32), SR)  # 0.2 s
    assert asr.transcribe(short).segments == []


def test_language_and_task_validation(eval_dir):
    with pytest.raises(MediaError, match="unknown language code 'xx'"):
        asr.transcribe(eval_dir / "jfk.flac", language="xx")
    with pytest.raises(MediaError, match="task must be"):
        asr.transcribe(eval_dir / "jfk.flac", task="summarise")
    assert asr.check_language("EN") == "en"


@pytest.mark.slow
def test_english_only_model_refuses_other_languages_and_translate(eval_dir):
    with pytest.raises(EngineUnavailable, match="English-only"):
        asr.transcribe(eval_dir / "jfk.flac", language="fr")
    with pytest.raises(EngineUnavailable, match="cannot translate"):
        asr.transcribe(eval_dir / "jfk.flac", task="translate")


def test_missing_model_and_bad_input_are_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELS_DIR", str(tmp_path))
    with pytest.raises(EngineUnavailable, match="whisper model 'large-v3' not found"):
        asr.transcribe(tmp_path / "x.wav", model="large-v3")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(InvalidMediaError):
        asr.transcribe(empty)
    corrupt = tmp_path / "corrupt.mp3"
    corrupt.write_bytes(b"\x00garbage" * 64)
    with pytest.raises(InvalidMediaError):
        asr.transcribe(corrupt)
    eight = tmp_path / "eight.wav"
    sf.write(eight, np.zeros((SR, 8), np.float32), SR)
    with pytest.raises(InvalidMediaError, match="8 channels"):
        asr.transcribe(eight)


@pytest.mark.slow
def test_multilingual_base_detects_language(eval_dir):
    _needs_base()
    t = asr.transcribe(eval_dir / "jfk.flac", model="base")
    assert t.language == "en" and t.language_probability > 0.8
    assert wer(JFK, t.text) <= 0.10, t.text
    assert asr.WhisperAsr("base").is_multilingual()


@pytest.mark.slow
def test_cli_writes_json(eval_dir, tmp_path):
    import json

    from media.cli import main

    out = tmp_path / "t.json"
    assert main(["transcribe", str(eval_dir / "jfk.flac"), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["language"] == "en" and data["segments"][0]["words"]
    assert main(["transcribe", str(eval_dir / "jfk.flac"), "--language", "zz", "--json", str(out)]) == 1


def test_progress_moves_through_the_audio(eval_dir):
    seen = []
    asr.transcribe(eval_dir / "sample.wav", progress=seen.append)
    assert len(seen) >= 2 and seen == sorted(seen) and 0 < seen[0] < 1 and seen[-1] >= 0.8, seen
