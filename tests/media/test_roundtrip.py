"""Round trip of many lines in few ASR calls: the packing, the word-to-line assignment, and real
tiny.en on real Piper lines hearing each line's own words."""
import numpy as np
import pytest

from media.roundtrip import one_at_a_time, pack, transcribe_lines

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

    assert transcribe_lines(clips, RATE, one_at_a_time(words_of)) == ["hello there", "", "general kenobi"]
    assert len(calls) == 1 and abs(calls[0] - 5.5) < 0.01  # one ASR call for both lines


def test_a_line_the_chunk_decode_skipped_is_heard_again_alone():
    """whisper without timestamps sometimes skips a chunk's first sentence: a line that heard
    nothing though it is audible is heard on its own; a silent line is not heard twice."""
    voiced = 0.1 * np.ones(int(1.0 * RATE), np.float32)
    clips = [voiced, np.zeros(RATE, np.float32), voiced]
    calls = []

    def chunk_words(chunks, rate):
        calls.append([round(len(c) / rate, 1) for c in chunks])
        if len(calls) == 1:  # the packed chunk: line 0 skipped, line 2 heard (at 4.5-5.5 s)
            return [[(4.6, 5.0, "second"), (5.0, 5.4, "line")]]
        return [[(0.6, 1.2, "first")]]  # line 0 alone

    assert transcribe_lines(clips, RATE, chunk_words) == ["first", "", "second line"]
    assert calls == [[6.5], [2.0]]  # one chunk, then line 0 alone (not the silent line 1)


def test_a_model_that_cannot_listen_gives_no_text_not_an_empty_one():
    assert transcribe_lines([np.ones(RATE, np.float32)], RATE, lambda chunks, r: None) == [None]


def test_real_lines_are_heard_apart(piper_lines):
    texts, clips = piper_lines
    from media.asr import transcribe
    from media.metrics import wer

    calls = []

    def words_of(samples, rate):
        calls.append(1)
        result = transcribe(samples, sample_rate=rate, word_timestamps=True, vad_filter=False, beam_size=1,
                            without_timestamps=True)  # one window per chunk
        return [(w.start, w.end, w.text) for seg in result.segments for w in seg.words]

    heard = transcribe_lines(clips, RATE, one_at_a_time(words_of))
    assert len(calls) < len(clips)
    for text, got in zip(texts, heard):
        assert wer(text, got) <= 0.34, (text, got)


def test_batched_chunks_hear_what_one_at_a_time_hears(piper_lines):
    """QC's path: chunks decoded in one batch (media.asr_batch) give each line its own words, as
    decoding the chunks one after another does; a tiny window makes several chunks of 5 lines."""
    from media.asr_batch import chunk_words
    from media.metrics import wer

    texts, clips = piper_lines
    sizes = []

    def batched(chunks, rate):
        sizes.append(len(chunks))
        return chunk_words(chunks, rate, language="en")

    heard = transcribe_lines(clips, RATE, batched, window=6.0)
    assert sizes == [len(pack([len(c) / RATE for c in clips], window=6.0))] and sizes[0] >= 2
    for text, got in zip(texts, heard):
        assert wer(text, got) <= 0.34, (text, got)


def test_batched_chunks_keep_empty_and_silent_chunks_apart(piper_lines):
    from media.asr_batch import chunk_words

    _, clips = piper_lines
    silent = np.zeros(2 * RATE, np.float32)
    words = chunk_words([silent, clips[1], np.zeros(0, np.float32), clips[2]], RATE, language="en")
    assert len(words) == 4 and words[0] == [] and words[2] == []
    assert "going" in " ".join(w for _, _, w in words[1]).lower()
    assert "thank" in " ".join(w for _, _, w in words[3]).lower()
    # times are the chunk's own: every word of clip 2 inside it
    assert all(0 <= s <= e <= len(clips[2]) / RATE + 0.5 for s, e, _ in words[3])


def test_batched_chunks_refuse_a_language_the_model_cannot_hear():
    from media.asr_batch import chunk_words
    from media.errors import EngineUnavailable

    with pytest.raises(EngineUnavailable):
        chunk_words([np.zeros(RATE, np.float32)], RATE, language="de")  # tiny.en is English-only


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
