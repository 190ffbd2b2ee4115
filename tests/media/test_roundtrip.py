"""Round trip of many lines in few ASR calls: the packing, the word-to-line assignment, and real
tiny.en on real Piper lines hearing each line's own words."""
import numpy as np
import pytest

from media.roundtrip import pack, transcribe_lines

RATE = 16000


def test_pack_fills_windows_in_order_and_gives_long_lines_their_own():
    assert pack([5.0, 5.0, 5.0, 5.0, 5.0], window=28.0, gap=1.0) == [[0, 1, 2, 3], [4]]
    assert pack([40.0, 2.0, 2.0], window=28.0, gap=1.0) == [[0], [1, 2]]
    assert pack([]) == []


def test_words_go_back_to_the_line_they_were_heard_in():
    clips = [np.ones(int(1.0 * RATE), np.float32), np.zeros(0, np.float32), np.ones(int(2.0 * RATE), np.float32)]
    calls = []

    def words_of(samples, rate):
        calls.append(len(samples) / rate)
        # layout: 0.5 s lead, clip 0 at 0.5-1.5, gap, clip 2 at 2.5-4.5; one word timed slightly into the pause
        return [(0.6, 0.9, "hello"), (1.2, 1.7, "there"), (2.6, 3.0, "general"), (3.5, 4.4, "kenobi")]

    assert transcribe_lines(clips, RATE, words_of) == ["hello there", "", "general kenobi"]
    assert len(calls) == 1 and abs(calls[0] - 5.5) < 0.01  # one ASR call for both lines


def test_a_model_that_cannot_listen_gives_no_text_not_an_empty_one():
    assert transcribe_lines([np.ones(RATE, np.float32)], RATE, lambda s, r: None) == [None]


def test_real_lines_are_heard_apart(piper_lines):
    texts, clips = piper_lines
    from media.asr import transcribe
    from media.metrics import wer

    calls = []

    def words_of(samples, rate):
        calls.append(1)
        result = transcribe(samples, sample_rate=rate, word_timestamps=True, vad_filter=False, beam_size=1,
                            without_timestamps=True)  # as QC hears them: one window per chunk
        return [(w.start, w.end, w.text) for seg in result.segments for w in seg.words]

    heard = transcribe_lines(clips, RATE, words_of)
    assert len(calls) < len(clips)
    for text, got in zip(texts, heard):
        assert wer(text, got) <= 0.34, (text, got)


@pytest.fixture(scope="module")
def piper_lines():
    from media.audio import resample
    from media.tts import TtsRequest, VoiceSpec, synthesize

    texts = ["Please bring the blue folder to the meeting.", "Where are you going?", "Thank you very much.",
             "The train leaves at nine tomorrow morning.", "Nobody told me about the party."]
    clips = []
    for text in texts:
        result = synthesize(TtsRequest(text, "en", voice=VoiceSpec("piper", "en_US-joe-medium")))
        clips.append(resample(result.samples, result.sample_rate, RATE).astype(np.float32))
    return texts, clips
