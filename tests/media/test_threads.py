"""media.threads: a batch split over worker threads gives the results of one call, in order; the
worker count follows its setting; CAM++ embeddings and pyannote's segmentation are the same with
one worker or two (the clips and chunks are independent)."""
import threading

import numpy as np
import pytest

from media.embeddings import CamPlusPlus
from media.threads import split_map, workers
from media.vad import load_mono_16k


def test_split_map_keeps_order_and_balances_by_size():
    seen: list[tuple[str, list[int]]] = []

    def square(group):
        seen.append((threading.current_thread().name, list(group)))
        return [x * x for x in group]

    items = list(range(11))
    sizes = [10 if x == 0 else 1 for x in items]  # one long item: it gets a thread to itself
    assert split_map(square, items, sizes, 2) == [x * x for x in items]
    assert sorted(len(g) for _, g in seen) == [1, 10] and [0] in [g for _, g in seen]
    assert all(name.startswith("split-map") for name, _ in seen)


def test_split_map_one_worker_or_item_runs_on_this_thread():
    here = threading.current_thread().name
    names = []

    def record(group):
        names.append(threading.current_thread().name)
        return list(group)

    assert split_map(record, [1, 2, 3], [1, 1, 1], 1) == [1, 2, 3]
    assert split_map(record, [7], [1], 4) == [7]
    assert names == [here, here]


def test_workers_setting(monkeypatch):
    monkeypatch.setenv("X_WORKERS", "3")
    assert workers("X_WORKERS") == 3
    monkeypatch.setenv("X_WORKERS", "0")
    assert workers("X_WORKERS") == 1  # at least one
    monkeypatch.delenv("X_WORKERS")
    assert 1 <= workers("X_WORKERS", most=2) <= 2


def test_campplus_same_vectors_with_two_workers(eval_dir, monkeypatch):
    engine = CamPlusPlus()
    if not engine.availability()[0]:
        pytest.skip(engine.availability()[1])
    speech = load_mono_16k(eval_dir / "trn07.wav")
    clips = [speech[i * 16000: (i + 3 + i % 4) * 16000] for i in range(9)]
    monkeypatch.setenv("MEDIA_EMBEDDING_WORKERS", "1")
    one = engine.embed_many(clips)
    monkeypatch.setenv("MEDIA_EMBEDDING_WORKERS", "2")
    two = engine.embed_many(clips)
    assert one.shape == (9, 192) and np.all(np.isfinite(one))
    np.testing.assert_allclose(two, one, atol=1e-5)


def test_offline_diarization_same_turns_with_two_workers(eval_dir, monkeypatch):
    from media.diarization.pyannote_engines import PyannoteOffline

    engine = PyannoteOffline()
    if not engine.availability()[0]:
        pytest.skip(engine.availability()[1])
    speech = load_mono_16k(eval_dir / "trn08.wav")
    runs = []
    for n in ("1", "2"):
        monkeypatch.setenv("MEDIA_DIARIZATION_WORKERS", n)
        monkeypatch.setenv("MEDIA_EMBEDDING_WORKERS", n)
        turns, _ = engine.diarize(speech)
        runs.append([(round(t.start, 3), round(t.end, 3), t.speaker) for t in turns])
    assert len({s for _, _, s in runs[0]}) >= 2
    assert runs[1] == runs[0]
