"""Voice probes on disk: a new process (memory cleared) matches voices without speaking a single
probe again; another engine version or embedding model is a different entry."""
import numpy as np
import pytest

import media.voice_match as vm
from media import probe_cache
from media.cache import models
from media.embeddings import registry as embedding_registry
from media.tts import VoiceSpec

@pytest.fixture(autouse=True)
def _fresh_memory():
    models.clear()  # figures an earlier test left in this process's memory would hide the disk


VOICES = [VoiceSpec.parse("piper:en_US-joe-medium"), VoiceSpec.parse("espeak:f3:p=70:s=160")]


def test_probes_are_spoken_once_then_read_from_disk(monkeypatch):
    embedder = embedding_registry().select().engine
    first = [vm.probe_embedding(v, "en", embedder) for v in VOICES]
    assert len(list(probe_cache.cache_dir().glob("*.json"))) == len(VOICES)
    matched = vm.match_voices({"a": (_voiced(), 16000)}, candidates=VOICES)["a"]  # adds shifted candidates
    models.clear()  # as a new worker process would start

    def no_speaking(*a, **k):
        raise AssertionError("a probe was spoken again")

    monkeypatch.setattr(vm, "synthesize", no_speaking)
    again = [vm.probe_embedding(v, "en", embedder) for v in VOICES]
    for a, b in zip(first, again):
        assert np.allclose(a, b, atol=1e-5)
    rematched = vm.match_voices({"a": (_voiced(), 16000)}, candidates=VOICES)["a"]
    assert rematched.voice == matched.voice and rematched.scores == matched.scores


def _voiced():
    t = np.arange(16000 * 3) / 16000
    return (0.3 * np.sin(2 * np.pi * 300 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def test_another_engine_version_is_another_entry(monkeypatch):
    embedder = embedding_registry().select().engine
    vm.probe_embedding(VOICES[1], "en", embedder)
    models.clear()
    monkeypatch.setattr(probe_cache, "engine_version", lambda engine: "espeak-ng 99")
    spoken = []
    real = vm.synthesize
    monkeypatch.setattr(vm, "synthesize", lambda *a, **k: spoken.append(1) or real(*a, **k))
    vm.probe_embedding(VOICES[1], "en", embedder)
    assert spoken == [1] and len(list(probe_cache.cache_dir().glob("*.json"))) == 2


def test_an_unwritable_cache_only_turns_itself_off(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MEDIA_CACHE_DIR", str(blocker))
    embedder = embedding_registry().select().engine
    models.clear()
    assert vm.probe_embedding(VOICES[1], "en", embedder).shape[0] > 0
