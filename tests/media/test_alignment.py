"""Words + turns → speaker lines: attribution, splitting at pauses and speaker changes."""
from media.alignment import build_lines, snap_to_speech
from media.asr import AsrSegment, Word
from media.diarization import Turn


def seg(*words):
    return AsrSegment(words[0][0], words[-1][1], " ".join(w[2] for w in words), -0.2, 0.01,
                      [Word(a, b, t, p) for a, b, t, p in words])


TURNS = [Turn(0.0, 3.0, "SPEAKER_00"), Turn(3.0, 6.0, "SPEAKER_01")]


def test_words_go_to_the_overlapping_speaker_and_lines_split_on_change():
    lines = build_lines([seg((0.1, 0.5, " Hello", 0.9), (0.6, 1.0, " there.", 0.9), (3.2, 3.6, " Hi", 0.8),
                             (3.7, 4.0, " back.", 0.8))], TURNS)
    assert [(l.speaker, l.text) for l in lines] == [("SPEAKER_00", "Hello there."), ("SPEAKER_01", "Hi back.")]
    assert lines[0].start == 0.1 and lines[0].end == 1.0


def test_a_word_in_crosstalk_stays_with_the_line_it_continues():
    # B talks 0-3 s, A cuts in at 2.5 s: "fine." (2.6-3.2) lies more under A's turn than B's,
    # but half of it under B's, whose sentence it ends; it is not handed to A on its own
    crosstalk = [Turn(0.0, 3.0, "B"), Turn(2.5, 6.0, "A")]
    words = [(0.2, 0.5, "Well", 0.9), (0.6, 0.9, "I", 0.9), (1.0, 1.4, "think", 0.9), (1.5, 2.0, "that's", 0.9),
             (2.6, 3.2, "fine.", 0.9), (4.0, 4.4, "Good.", 0.9)]
    lines = build_lines([seg(*words)], crosstalk)
    assert [(l.speaker, l.text) for l in lines] == [("B", "Well I think that's fine."), ("A", "Good.")]
    # after a full stop the other speaker's reply may begin: "Oh," under both turns is B's
    reply = [(1.9, 2.4, "Hello.", 0.9), (2.6, 2.9, "Oh,", 0.9), (3.1, 3.5, "hi.", 0.9)]
    lines = build_lines([seg(*reply)], [Turn(0.0, 3.0, "A"), Turn(2.5, 4.0, "B")])
    assert [(l.speaker, l.text) for l in lines] == [("A", "Hello."), ("B", "Oh, hi.")]
    # where only the other speaker's turn covers the word, it changes hands as before
    lines = build_lines([seg((0.2, 0.6, "Hello", 0.9), (3.1, 3.5, "Hi", 0.9))], TURNS)
    assert [l.speaker for l in lines] == ["SPEAKER_00", "SPEAKER_01"]


def test_long_pause_splits_a_line_and_low_confidence_is_flagged():
    lines = build_lines([seg((0.1, 0.4, "One", 0.3), (1.6, 1.9, "two", 0.3))], TURNS)
    assert [l.text for l in lines] == ["One", "two"]
    assert all("low_confidence" in l.flags for l in lines)


def test_a_zero_length_word_still_gets_a_slot():
    lines = build_lines([seg((2.0, 2.0, "I", 0.9))], TURNS)
    assert lines[0].end > lines[0].start


def test_words_outside_every_turn_go_to_the_nearest_speaker():
    lines = build_lines([seg((6.5, 7.0, "late", 0.9))], TURNS)
    assert lines[0].speaker == "SPEAKER_01"


def test_lines_snap_to_the_speech_inside_them():
    from media.vad import Region

    lines = build_lines([seg((0.0, 0.9, " And", 0.9), (0.9, 2.5, " so.", 0.9))], TURNS)
    snapped = snap_to_speech(lines, [Region(0.6, 1.4), Region(1.6, 2.2)])
    assert (snapped[0].start, snapped[0].end) == (0.6, 2.2)
    assert snap_to_speech(lines, [Region(4.0, 5.0)])[0].start == lines[0].start  # nothing inside: kept


def test_a_piece_of_a_sentence_too_short_to_dub_joins_the_rest_of_it():
    # crosstalk word timing cut "This is a bit of HTML goo." at a turn boundary: 0.28 s for A
    turns = [Turn(0.0, 1.0, "A"), Turn(0.9, 3.0, "B")]
    words = [(0.6, 0.7, "This", 0.9), (0.7, 0.8, "is", 0.9), (0.8, 0.88, "a", 0.9),
             (1.1, 1.4, "bit", 0.9), (1.4, 1.7, "of", 0.9), (1.7, 2.3, "HTML", 0.9), (2.3, 2.6, "goo.", 0.9)]
    lines = build_lines([seg(*words)], turns)
    assert [(l.speaker, l.text, l.start, l.end) for l in lines] == [("B", "This is a bit of HTML goo.", 0.6, 2.6)]
    # the last word of a sentence under the next speaker's turn goes back to the sentence
    ending = [(0.2, 0.6, "A", 0.9), (0.6, 0.9, "break", 0.9), (0.9, 1.1, "for", 0.9), (1.15, 1.4, "end.", 0.9)]
    lines = build_lines([seg(*ending)], [Turn(0.0, 1.12, "A"), Turn(1.12, 2.0, "B")])
    assert [(l.speaker, l.text) for l in lines] == [("A", "A break for end.")]


def test_short_lines_that_end_a_sentence_or_stand_apart_stay_lines():
    # "Hello." / "Yeah." are lines of their own: the line before ended its sentence
    turns = [Turn(0.0, 1.0, "A"), Turn(1.0, 2.0, "B"), Turn(2.0, 4.0, "A")]
    words = [(0.2, 0.6, "Hello.", 0.9), (1.1, 1.3, "Yeah.", 0.9), (2.1, 2.4, "So", 0.9), (2.4, 2.9, "anyway.", 0.9)]
    assert [l.text for l in build_lines([seg(*words)], turns)] == ["Hello.", "Yeah.", "So anyway."]
    # a fragment more than MAX_PAUSE from the next line is not joined to it
    far = [(0.2, 0.4, "And", 0.9), (1.5, 1.9, "then.", 0.9)]
    assert [l.text for l in build_lines([seg(*far)], TURNS)] == ["And", "then."]
    # two long pieces of one sentence under two turns keep their speakers
    long = [(0.2, 0.6, "Did", 0.9), (0.6, 1.0, "you", 0.9), (1.0, 1.4, "actually", 0.9),
            (1.5, 2.0, "have", 0.9), (2.0, 2.6, "one?", 0.9)]
    lines = build_lines([seg(*long)], [Turn(0.0, 1.45, "A"), Turn(1.45, 3.0, "B")])
    assert [(l.speaker, l.text) for l in lines] == [("A", "Did you actually"), ("B", "have one?")]
