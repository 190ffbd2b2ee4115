"""Resemblyzer GE2E d-vectors (256-dim; weights bundled in the resemblyzer package)."""
from __future__ import annotations

import numpy as np

from ..cache import models as model_cache
from .base import EmbeddingEngine

__all__ = ["Resemblyzer"]


def _load():
    from resemblyzer import VoiceEncoder

    return VoiceEncoder("cpu", verbose=False)


class Resemblyzer(EmbeddingEngine):
    name = "resemblyzer"

    def availability(self) -> tuple[bool, str]:
        try:
            import resemblyzer  # noqa: F401  (imports webrtcvad, librosa)
        except ImportError as exc:
            return False, f"resemblyzer not importable ({exc})"
        return True, "bundled resemblyzer weights"

    @property
    def model_id(self) -> str:
        import resemblyzer

        return f"resemblyzer-256:{getattr(resemblyzer, '__version__', '0.1.4')}"

    @property
    def dim(self) -> int:
        return 256

    def _vectors(self, clips: list[np.ndarray]) -> np.ndarray:
        from resemblyzer import preprocess_wav

        encoder = model_cache.get("embed:resemblyzer", _load)
        out = []
        for clip in clips:
            # volume normalisation + long-silence trimming, as the encoder was trained with
            wav = preprocess_wav(clip, source_sr=16000)
            if len(wav) < self.min_samples:
                wav = clip  # trimming ate the clip: embed what we have rather than nothing
            out.append(encoder.embed_utterance(wav))
        return np.stack(out)
