"""The episode clustering on synthetic embeddings: the count does not depend on how many
embeddings (how long the recording) there are, speakers are sized in speech seconds, bounds."""
from __future__ import annotations

import numpy as np

from media.diarization.clustering import CALIBRATION, cluster_embeddings, eer_threshold


def _voices(rng, people: int, per_person: int, spread: float = 0.25):
    """Unit vectors around `people` random directions (16-dim), `per_person` each."""
    centres = rng.standard_normal((people, 16))
    x = np.concatenate([c + spread * rng.standard_normal((per_person, 16)) for c in centres])
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.repeat(np.arange(people), per_person)


def test_count_is_the_same_for_a_short_and_a_long_recording():
    rng = np.random.default_rng(1)
    threshold = CALIBRATION["campplus"]
    short, _ = _voices(rng, 6, 10)
    long = np.concatenate([short + 0.02 * rng.standard_normal(short.shape) for _ in range(12)])
    long /= np.linalg.norm(long, axis=1, keepdims=True)
    # each embedding stands for 0.5 s of speech whatever the length
    assert cluster_embeddings(short, np.full(len(short), 0.5), threshold).max() + 1 == 6
    assert cluster_embeddings(long, np.full(len(long), 0.5), threshold).max() + 1 == 6


def test_a_voice_with_too_little_speech_joins_the_nearest_speaker():
    rng = np.random.default_rng(2)
    x, who = _voices(rng, 3, 8)
    seconds = np.where(who == 2, 0.02, 0.5)  # the third voice: 0.16 s in all, under 0.25 s
    labels = cluster_embeddings(x, seconds, CALIBRATION["campplus"])
    assert labels.max() + 1 == 2
    assert len(set(labels[who == 0])) == 1 and len(set(labels[who == 1])) == 1
    assert set(labels[who == 0]) != set(labels[who == 1])


def test_bounds_move_the_cut():
    rng = np.random.default_rng(3)
    x, _ = _voices(rng, 5, 10)
    seconds = np.full(len(x), 0.5)
    assert cluster_embeddings(x, seconds, CALIBRATION["campplus"], max_clusters=3).max() + 1 == 3
    assert cluster_embeddings(x, seconds, CALIBRATION["campplus"], num_clusters=7).max() + 1 == 7
    assert cluster_embeddings(x, np.full(len(x), 0.001), CALIBRATION["campplus"], min_clusters=4).max() + 1 == 4


def test_equal_error_point():
    sims = np.array([0.9, 0.95, 0.7, 0.1, 0.6, 0.2])
    same = np.array([1, 1, 1, 0, 0, 0], bool)
    point, eer = eer_threshold(sims, same)
    assert eer == 0 and abs(point - 0.65) < 1e-6  # middle of the gap between 0.6 and 0.7
    point, eer = eer_threshold(np.array([0.9, 0.5, 0.7, 0.1, 0.6, 0.2]), same)
    assert abs(eer - 1 / 3) < 1e-9 and 0.5 < point <= 0.6


def test_one_stray_chunk_is_not_a_speaker_however_much_speech_it_stands_for():
    # with a coarser segmentation step one chunk embedding stands for more seconds (2 s of a
    # 10 s chunk at a 2 s step), so a single outlier chunk (music, a cough) passes any seconds
    # bar that keeps a real one-line speaker; it still is only one chunk
    rng = np.random.default_rng(4)
    x, _ = _voices(rng, 3, 6)
    stray = rng.standard_normal((1, 16))
    x = np.concatenate([x, stray / np.linalg.norm(stray)])
    labels = cluster_embeddings(x, np.full(len(x), 0.7), CALIBRATION["campplus"])
    assert labels.max() + 1 == 3
    # two chunks of that voice are a speaker (a single line spans several chunks)
    x2 = np.concatenate([x, x[-1:] + 0.01 * rng.standard_normal((1, 16))])
    x2 /= np.linalg.norm(x2, axis=1, keepdims=True)
    assert cluster_embeddings(x2, np.full(len(x2), 0.7), CALIBRATION["campplus"]).max() + 1 == 4


def test_two_near_voices_heard_at_once_stay_two_people():
    # two voices closer than the cut (as the two AMI women are for CAM++) in a conversation:
    # every chunk holds one embedding of each, as two local speakers
    rng = np.random.default_rng(5)
    centre = rng.standard_normal(16)
    other = centre + 0.5 * rng.standard_normal(16)
    a = centre + 0.15 * rng.standard_normal((10, 16))
    b = other + 0.15 * rng.standard_normal((10, 16))
    x = np.concatenate([a, b])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    seconds = np.full(len(x), 0.5)
    threshold = CALIBRATION["campplus"]
    assert cluster_embeddings(x, seconds, threshold).max() + 1 == 1  # by voice alone: one person
    chunks = np.concatenate([np.arange(10), np.arange(10)])
    labels = cluster_embeddings(x, seconds, threshold, chunks=chunks)
    assert labels.max() + 1 == 2 and len(set(labels[:10])) == 1 and set(labels[:10]) != set(labels[10:])
    # one voice the segmentation split in two in a single chunk is still one voice
    one = centre + 0.15 * rng.standard_normal((20, 16))
    one /= np.linalg.norm(one, axis=1, keepdims=True)
    split = np.concatenate([np.arange(10), [0], np.arange(11, 20)])
    assert cluster_embeddings(one, seconds, threshold, chunks=split).max() + 1 == 1
