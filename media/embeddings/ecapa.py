"""SpeechBrain ECAPA-TDNN speaker embeddings from MODELS_DIR/ecapa (user-installed).

The directory is a speechbrain `from_hparams` source: hyperparams.yaml (with
compute_features, mean_var_norm, embedding_model and a pretrainer) + embedding_model.ckpt.
It is always loaded from that local path, never from a hub name.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .. import modelpaths
from ..cache import models as model_cache
from ..errors import EngineUnavailable
from .base import EmbeddingEngine, file_tag

__all__ = ["Ecapa"]


def _load(root: Path):
    import logging

    from speechbrain.inference.speaker import EncoderClassifier
    from speechbrain.utils.fetching import LocalStrategy

    logging.getLogger("speechbrain").setLevel(logging.WARNING)
    # The published hyperparams.yaml sets `pretrained_path: speechbrain/spkrec-ecapa-voxceleb`
    # (a hub name): point it at this directory so every file is read locally.
    text = (root / "hyperparams.yaml").read_text(encoding="utf-8")
    overrides = {"pretrained_path": str(root)} if re.search(r"^pretrained_path\s*:", text, re.M) else {}
    # NO_LINK: read files in place (the default symlink strategy would link a dir onto itself)
    model = EncoderClassifier.from_hparams(
        source=str(root), savedir=str(root), overrides=overrides, run_opts={"device": "cpu"},
        local_strategy=LocalStrategy.NO_LINK)
    if model is None:
        raise EngineUnavailable(f"speechbrain could not load ECAPA from {root}")
    return model.eval()


class Ecapa(EmbeddingEngine):
    name = "ecapa"

    def availability(self) -> tuple[bool, str]:
        root, reason = modelpaths.ecapa_dir()
        if root is None:
            return False, f"no ECAPA model: {reason}"
        try:
            import speechbrain  # noqa: F401
        except ImportError as exc:
            return False, f"speechbrain not importable ({exc})"
        return True, f"ECAPA in {root}"

    def _root(self) -> Path:
        root, reason = modelpaths.ecapa_dir()
        if root is None:
            raise EngineUnavailable(reason)
        return root

    def _model(self):
        root = self._root()
        return model_cache.get(f"embed:ecapa:{root}", lambda: _load(root))

    @property
    def model_id(self) -> str:
        ckpt = self._root() / "embedding_model.ckpt"
        tag = model_cache.get(f"tag:{ckpt}", lambda: file_tag(ckpt), size=lambda _: 64)
        return f"ecapa-{self.dim}:{tag}"

    @property
    def dim(self) -> int:
        root = self._root()
        return model_cache.get(f"dim:ecapa:{root}", lambda: self._probe_dim(), size=lambda _: 64)

    def _probe_dim(self) -> int:
        # the checkpoint decides (192 for the public model, 16 for a test model): ask it
        return int(self._vectors([np.zeros(16000, np.float32) + 1e-3]).shape[-1])

    def _vectors(self, clips: list[np.ndarray]) -> np.ndarray:
        import torch

        model = self._model()
        longest = max(len(c) for c in clips)
        batch = torch.zeros(len(clips), longest)
        for i, c in enumerate(clips):
            batch[i, : len(c)] = torch.from_numpy(c)
        lens = torch.tensor([len(c) / longest for c in clips])
        with torch.inference_mode():
            out = model.encode_batch(batch, wav_lens=lens)  # (n, 1, dim)
        return out.reshape(len(clips), -1).numpy()
