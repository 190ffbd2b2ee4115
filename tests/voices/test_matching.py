"""The matching rule: one-to-one, above the threshold, close calls flagged."""
import numpy as np

from voices.matching import Thresholds, match, thresholds_for

T = Thresholds(accept=0.4, margin=0.1)


def test_two_labels_never_share_a_character_even_when_both_prefer_it():
    # both labels are closest to character 10; the matching gives it to the closer one
    sims = np.array([[0.80, 0.10], [0.70, 0.60]])
    a, b = match(["A", "B"], [10, 20], sims, T)
    assert (a.character, b.character) == (10, 20)


def test_below_the_threshold_is_a_new_voice():
    (d,) = match(["A"], [10], np.array([[0.39]]), T)
    assert d.character is None and "below the threshold" in d.reason


def test_a_label_whose_only_match_went_to_a_closer_speaker_gets_none():
    sims = np.array([[0.9], [0.8]])
    a, b = match(["A", "B"], [10], sims, T)
    assert a.character == 10 and b.character is None and "closer speaker" in b.reason


def test_a_close_call_is_matched_but_flagged():
    (d,) = match(["A"], [10, 20], np.array([[0.55, 0.50]]), T)
    assert d.character == 10 and not d.confident and d.margin == 0.05 and "close call" in d.reason


def test_a_clear_match_is_confident():
    (d,) = match(["A"], [10, 20], np.array([[0.75, 0.10]]), T)
    assert d.confident and d.margin == 0.65


def test_no_known_characters_means_no_match():
    assert [d.character for d in match(["A", "B"], [], np.zeros((2, 0)), T)] == [None, None]


def test_thresholds_follow_the_model_family_and_the_series_override():
    assert thresholds_for("campplus-192:abc").accept == 0.40
    assert thresholds_for("resemblyzer-256:0.1.4").accept == 0.85
    assert thresholds_for("campplus-192:abc", 0.55).accept == 0.55
