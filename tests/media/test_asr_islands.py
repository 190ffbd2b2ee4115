"""Stretches of talk decoded one by one (media.asr_islands): the islands cut from turns, and the
words a real decode of the composite episode hears that way against one whole decode."""
from __future__ import annotations

import pytest

from media import asr
from media.asr_islands import BRIDGE, CAP, GAP, PAD, speech_islands, windows_setting
from media.audio import load
from media.diarization import Turn
from media.errors import MediaError
from media.metrics import normalize_text, wer
from tests.composite import RATE, build_composite


def test_turns_of_one_exchange_are_one_island_and_a_pause_splits():
    turns = [(1.0, 3.0, "a"), (3.2, 5.0, "b"), (4.5, 6.0, "a"),  # b answers, a talks over b
             (6.0 + GAP + 0.5, 9.0, "c")]                        # after a pause: the next stretch
    assert speech_islands(turns, 20.0, short=0) == [(1.0 - PAD, 6.0 + PAD), (6.5 + GAP - PAD, 9.0 + PAD)]


def test_a_short_island_joins_its_nearer_neighbour_across_a_short_pause():
    # jfk's four phrases, ~1 s apart: alone, at 8 kHz, "my fellow Americans" was heard as
    # "am I fellow America"; two by two whisper has the words around them
    turns = [(0.32, 2.21, "a"), (3.27, 4.38, "a"), (5.38, 7.56, "a"), (8.15, 10.48, "a")]
    assert speech_islands(turns, 11.0) == [(0.12, 4.58), (5.18, 10.68)]
    assert len(speech_islands(turns, 11.0, short=0)) == 4
    far = [(0.0, 1.0, "a"), (1.0 + BRIDGE + 0.1, 3.0 + BRIDGE, "b")]  # a scene's pause stays a cut
    assert len(speech_islands(far, 20.0)) == 2


def test_padding_never_reaches_into_the_neighbour_and_stays_inside_the_audio():
    turns = [Turn(0.05, 2.0, "a"), Turn(2.6, 4.0, "b"), Turn(4.0 + GAP + 0.1, 9.95, "a")]
    islands = speech_islands(turns, 10.0, pad=0.5, short=0)
    assert islands[0][0] == 0.0 and islands[-1][1] == 10.0
    for (_, end), (start, _) in zip(islands, islands[1:]):
        assert end <= start  # no audio is decoded twice
    assert islands[0][1] == pytest.approx(2.3) and islands[1][0] == pytest.approx(2.3)


def test_a_long_exchange_is_closed_before_it_outgrows_one_window():
    turns = [(i * 3.0, i * 3.0 + 2.8, "ab"[i % 2]) for i in range(30)]  # 90 s, 0.2 s pauses
    islands = speech_islands(turns, 100.0)
    assert len(islands) > 1
    assert all(end - start <= CAP + 2 * PAD for start, end in islands)
    assert islands[0][0] == 0.0 and islands[-1][1] == pytest.approx(89.8 + PAD)


def test_crosstalk_without_a_pause_stays_one_island_even_when_long():
    turns = [(i * 2.0, i * 2.0 + 2.5, "ab"[i % 2]) for i in range(20)]  # each overlaps the next
    assert speech_islands(turns, 50.0) == [(0.0, 40.5 + PAD)]


def test_empty_and_outside_turns_give_no_islands():
    assert speech_islands([], 10.0) == []
    assert speech_islands([(12.0, 14.0, "a"), (3.0, 3.0, "b")], 10.0) == []


def test_the_setting_picks_islands_by_default_and_refuses_unknown_values(monkeypatch):
    monkeypatch.delenv("DUBSITE_ASR_WINDOWS", raising=False)
    assert windows_setting() == "islands"
    monkeypatch.setenv("DUBSITE_ASR_WINDOWS", "Whole")
    assert windows_setting() == "whole"
    monkeypatch.setenv("DUBSITE_ASR_WINDOWS", "chunks")
    with pytest.raises(MediaError, match="DUBSITE_ASR_WINDOWS"):
        windows_setting()
    with pytest.raises(MediaError, match="clip and islands"):
        asr.transcribe(__file__, islands=[(0.0, 1.0)], clip=(0.0, 1.0))


def _words(transcript) -> list[str]:
    return [w for s in transcript.segments for w in normalize_text(s.text).split()]


@pytest.fixture(scope="module")
def composite(eval_dir, tmp_path_factory):
    return build_composite(eval_dir, tmp_path_factory.mktemp("islands") / "composite")


@pytest.mark.parametrize("stem", ["speech", "mix"])
def test_islands_hear_every_known_text_and_no_fewer_words_than_one_whole_decode(composite, stem):
    samples = load(getattr(composite, stem), mono=True, sample_rate=RATE).samples
    islands = speech_islands(composite.turns, composite.duration)
    whole = asr.transcribe(samples, sample_rate=RATE, language="en")
    by_island = asr.transcribe(samples, sample_rate=RATE, language="en", islands=islands)
    print(f"\n{stem}: {len(islands)} islands, {len(_words(by_island))} words; whole decode {len(_words(whole))} words")
    assert len(_words(by_island)) >= len(_words(whole))
    for start, end, text in composite.texts:  # jfk and the two stereo readings, over the bed too
        heard = " ".join(s.text for s in by_island.segments if s.start < end + 0.5 and s.end > start - 0.5)
        assert wer(text, heard) <= 0.02, (text, heard)
    # every segment inside one island, islands in time order: nothing decoded twice, nothing outside the talk
    where = []
    for seg in by_island.segments:
        inside = [i for i, (a, b) in enumerate(islands) if a - 0.01 <= seg.start and seg.end <= b + 0.01]
        assert len(inside) == 1, seg
        where.append(inside[0])
    assert where == sorted(where)
    assert by_island.duration == pytest.approx(composite.duration, abs=0.01)


def test_the_language_is_detected_once_on_the_longest_island(composite):
    samples = load(composite.speech, mono=True, sample_rate=RATE).samples
    islands = speech_islands(composite.turns, composite.duration)[:3]
    heard = asr.transcribe(samples, sample_rate=RATE, language=None, islands=islands)
    assert heard.language == "en" and heard.language_probability > 0.5
    assert "country" in _words(heard)  # jfk, the first island
