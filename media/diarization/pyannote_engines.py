"""pyannote.audio diarization: the full pipeline (MODELS_DIR/pyannote/diarization) and an
offline pipeline made of segmentation-3.0 + our own speaker-embedding engine.

The offline one is pyannote's own `SpeakerDiarization` (segmentation, overlap-aware speaker
counting, reconstruction) with our length-independent clustering (clustering.py) over
embeddings from media.embeddings: no PLDA (it is trained for one specific embedding model) and
no hub.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .. import modelpaths
from ..cache import models as model_cache
from ..embeddings import EmbeddingEngine
from ..embeddings import registry as embedding_registry
from ..errors import EngineFailed, EngineUnavailable
from ..threads import split_map, workers
from ..threads import torch_threads as _threads
from .clustering import CALIBRATION, FINE_CALIBRATION, MIN_SPEAKER_SECONDS, speaker_clustering
from .types import Turn

__all__ = ["PyannoteFull", "PyannoteOffline", "EmbeddingAdapter", "CLUSTERING", "pick_embedding", "torch_threads",
           "step_for", "clustering_for"]

SAMPLE_RATE = 16000

# Clustering per embedding model. Engines with a calibrated cut (clustering.CALIBRATION: CAM++,
# the one this machine runs) get the length-independent clustering of clustering.py; the others
# keep pyannote's AgglomerativeClustering with their earlier hand-set values (resemblyzer chosen
# on trn08; ecapa is pyannote 3.0's value for its ECAPA pipelines, no public weights here).
CLUSTERING = {
    **{name: {"threshold": threshold, "min_seconds": MIN_SPEAKER_SECONDS} for name, threshold in CALIBRATION.items()},
    "resemblyzer": {"method": "centroid", "threshold": 0.45, "min_cluster_size": 12},
    "ecapa": {"method": "centroid", "threshold": 0.70, "min_cluster_size": 12},
}
# torch threads while diarizing (media.threads says why one); MEDIA_DIARIZATION_THREADS=0 keeps torch's default.
THREADS_ENV = "MEDIA_DIARIZATION_THREADS"
WORKERS_ENV = "MEDIA_DIARIZATION_WORKERS"  # Python threads sharing a batch of segmentation chunks
_lock = threading.Lock()  # pyannote pipelines keep per-call state on the object


def pick_embedding(name: str | None) -> EmbeddingEngine:
    """The named embedding engine (which must be available), else the first available."""
    reg = embedding_registry()
    if not name:
        return reg.select().engine
    engine = reg.get(name)
    ok, reason = engine.availability()
    if not ok:
        raise EngineUnavailable(f"embedding {name}: {reason}")
    return engine


def torch_threads():
    """Torch with MEDIA_DIARIZATION_THREADS threads (default 1) while diarizing."""
    return _threads(THREADS_ENV)


def _file(samples: np.ndarray, uri: str) -> dict:
    import torch

    return {"waveform": torch.from_numpy(samples)[None], "sample_rate": SAMPLE_RATE, "uri": uri}


def _turns(annotation) -> list[Turn]:
    return [Turn(float(seg.start), float(seg.end), str(label))
            for seg, _, label in annotation.itertracks(yield_label=True)]


# where each pyannote step sits in the whole run, by its share of the time on a CPU
_STEPS = {"segmentation": (0.0, 0.3), "embeddings": (0.3, 0.95)}


def _hook(progress):
    """pyannote's `hook(step_name, artifact, file=, total=, completed=)` as a 0..1 fraction."""
    if progress is None:
        return None

    def hook(step_name, step_artifact, file=None, total=None, completed=None):
        lo, hi = _STEPS.get(step_name, (None, None))
        if lo is not None and total:
            progress(lo + (hi - lo) * min(float(completed or 0) / float(total), 1.0))

    return hook


def _bounds(min_speakers, max_speakers, num_speakers) -> dict:
    return {k: v for k, v in (("min_speakers", min_speakers), ("max_speakers", max_speakers),
                              ("num_speakers", num_speakers)) if v}


class EmbeddingAdapter:
    """What pyannote's SpeakerDiarization asks of an embedding model, backed by one of ours.

    pyannote hands a batch of 10 s chunks (B, 1, samples) and per-frame activity masks
    (B, frames) of one local speaker each; we embed the active samples of each row and return
    NaN rows where too little speech is active (pyannote's clustering skips those)."""

    sample_rate = SAMPLE_RATE
    metric = "cosine"

    def __init__(self, engine: EmbeddingEngine):
        self.engine = engine
        self.dimension = engine.dim
        self.min_num_samples = engine.min_samples

    def __call__(self, waveforms, masks=None) -> np.ndarray:
        import torch.nn.functional as F

        wav = waveforms[:, 0].numpy()
        if masks is None:
            return self.engine.embed_many(list(wav))
        # nearest-neighbour upsampling of frame masks to samples
        full = F.interpolate(masks[:, None].float(), size=wav.shape[1], mode="nearest")[:, 0].numpy() > 0.5
        return self.engine.embed_many([w[m] for w, m in zip(wav, full)])


def _segmentation_model(path: Path):
    from pyannote.audio import Model

    model = Model.from_pretrained(str(path))
    if model is None:
        raise EngineUnavailable(f"pyannote could not load segmentation from {path}")
    return model.eval()


def _offline_pipeline(seg_dir: Path, engine: EmbeddingEngine, params: dict, step: float,
                      exclude_overlap: bool = True):
    from pyannote.audio import Audio, Inference
    from pyannote.audio.core.pipeline import Pipeline
    from pyannote.audio.pipelines.clustering import AgglomerativeClustering
    from pyannote.audio.pipelines.speaker_diarization import SpeakerDiarization
    from pyannote.pipeline.parameter import ParamDict, Uniform

    class SplitInference(Inference):
        """Inference whose batches are split over idle cores (media.threads.split_map): each half
        runs the model on its own thread with single-threaded torch ops. The chunks are
        independent, so the output is the same as one call's."""

        def infer(self, chunks):
            n = workers(WORKERS_ENV)
            if n <= 1 or len(chunks) < 2:
                return super().infer(chunks)
            parts = list(chunks.tensor_split(min(n, len(chunks))))
            outputs = split_map(lambda group: [Inference.infer(self, c) for c in group], parts,
                                [len(c) for c in parts], n)
            return np.concatenate(outputs, axis=0)

    class LocalSpeakerDiarization(SpeakerDiarization):
        """SpeakerDiarization whose constructor takes loaded objects: the stock one insists on
        resolving an embedding name and a PLDA, which would reach for the hub."""

        def __init__(self, model, embedding: EmbeddingAdapter):
            Pipeline.__init__(self)
            self.legacy = True
            self.segmentation_model = str(seg_dir)
            self.segmentation_step = step
            self.embedding = engine.name
            self.embedding_batch_size = 32
            self.embedding_exclude_overlap = exclude_overlap
            self.plda, self._plda = None, None
            self.klustering = "AgglomerativeClustering"
            self.der_variant = {"collar": 0.0, "skip_overlap": False}
            duration = model.specifications.duration
            self._segmentation = SplitInference(model, duration=duration, step=step * duration,
                                                skip_aggregation=True, batch_size=16)
            self.segmentation = ParamDict(min_duration_off=Uniform(0.0, 1.0))
            self._embedding = embedding
            self._audio = Audio(sample_rate=SAMPLE_RATE, mono="downmix")
            self.clustering = (speaker_clustering(params["threshold"], params["min_seconds"])
                               if "min_seconds" in params else AgglomerativeClustering(metric="cosine"))
            self._expects_num_speakers = False

    model = model_cache.get(f"diar:segmentation:{seg_dir}", lambda: _segmentation_model(seg_dir))
    if not model.specifications.powerset:
        raise EngineUnavailable(f"{seg_dir}: expected a powerset segmentation model (segmentation-3.0)")
    pipeline = LocalSpeakerDiarization(model, EmbeddingAdapter(engine))
    pyannote_params = {} if "min_seconds" in params else dict(params)
    pipeline.instantiate({"segmentation": {"min_duration_off": 0.0}, "clustering": pyannote_params})
    return pipeline


# Segmentation step, as a fraction of the 10 s window: 2 s. Every chunk is segmented and each of
# its active local speakers embedded, so the cost is proportional to 1/step; CAM++ is ~3/4 of it.
# On the 22.8-min composite (2-core machine): pyannote's 1 s step took 0.195 CPU s per audio s,
# 2 s 0.105-0.12, 2.5 s 0.085-0.095 but with DER 0.03 worse at x1 and x3 (0.515/0.526 against
# 0.484/0.494 at 2 s). The clustering's rules do not depend on the step (clustering.py).
STEP = 0.2
# Under a minute the 1 s step stays: a 30 s file has 11 chunks at 2 s, too few full-quality
# embeddings for a speaker of a few lines to pass the size rules (trn07 and trn08 gave 2 of 4
# at 2 s, 3 at 1 s), and the time saved there is seconds.
FINE_STEP, FINE_UNTIL_SECONDS = 0.1, 60.0


def step_for(seconds: float) -> float:
    return FINE_STEP if seconds < FINE_UNTIL_SECONDS else STEP


def clustering_for(engine_name: str, step: float) -> dict:
    """The clustering of an embedding engine at a segmentation step: the calibrated cut is
    measured on embeddings of that step (clustering.CALIBRATION, FINE_CALIBRATION)."""
    if step == FINE_STEP and engine_name in FINE_CALIBRATION:
        return {"threshold": FINE_CALIBRATION[engine_name], "min_seconds": MIN_SPEAKER_SECONDS}
    return CLUSTERING.get(engine_name, CLUSTERING["ecapa"])


class PyannoteOffline:
    """segmentation-3.0 (install-bundled) + the best available embedding engine."""

    name = "pyannote-offline"

    def __init__(self, embedding: str | None = None, clustering: dict | None = None, step: float | None = None):
        self.embedding_name, self.clustering, self.step = embedding, clustering, step

    def _embedding_engine(self) -> EmbeddingEngine:
        return pick_embedding(self.embedding_name)

    def availability(self) -> tuple[bool, str]:
        path, reason = modelpaths.pyannote_segmentation()
        if path is None:
            return False, f"no segmentation model: {reason} (run install-bundled)"
        try:
            engine = self._embedding_engine()
        except EngineUnavailable as exc:
            return False, str(exc)
        return True, f"segmentation-3.0 + {engine.name} embeddings"

    def diarize(self, samples: np.ndarray, *, uri: str = "audio", min_speakers=None, max_speakers=None,
                num_speakers=None, progress=None) -> tuple[list[Turn], str]:
        seg_dir, reason = modelpaths.pyannote_segmentation()
        if seg_dir is None:
            raise EngineUnavailable(reason)
        engine = self._embedding_engine()
        step = self.step or step_for(len(samples) / SAMPLE_RATE)
        params = self.clustering or clustering_for(engine.name, step)
        key = f"diar:offline:{seg_dir}:{engine.model_id}:{sorted(params.items())}:{step}"
        pipeline = model_cache.get(key, lambda: _offline_pipeline(seg_dir, engine, params, step))
        try:
            with _lock, torch_threads():
                annotation = pipeline(_file(samples, uri), hook=_hook(progress),
                                      **_bounds(min_speakers, max_speakers, num_speakers))
        except (RuntimeError, ValueError) as exc:
            raise EngineFailed(f"pyannote offline diarization failed: {exc}") from exc
        return _turns(annotation), f"embeddings={engine.model_id} clustering={params}"


def _full_pipeline(path: Path):
    from pyannote.audio import Pipeline

    pipeline = Pipeline.from_pretrained(str(path))
    if pipeline is None:
        raise EngineUnavailable(f"pyannote could not load the pipeline in {path}")
    return pipeline


class PyannoteFull:
    """A complete pyannote.audio pipeline directory (config.yaml naming its models with
    `$model/<subfolder>` paths), e.g. speaker-diarization-community-1 copied into MODELS_DIR."""

    name = "pyannote"

    def availability(self) -> tuple[bool, str]:
        path, reason = modelpaths.pyannote_pipeline()
        if path is None:
            return False, f"no full pyannote pipeline: {reason}"
        return True, f"pyannote pipeline in {path}"

    def diarize(self, samples: np.ndarray, *, uri: str = "audio", min_speakers=None, max_speakers=None,
                num_speakers=None, progress=None) -> tuple[list[Turn], str]:
        path, reason = modelpaths.pyannote_pipeline()
        if path is None:
            raise EngineUnavailable(reason)
        pipeline = model_cache.get(f"diar:full:{path}", lambda: _full_pipeline(path))
        try:
            with _lock, torch_threads():
                output = pipeline(_file(samples, uri), hook=_hook(progress),
                                  **_bounds(min_speakers, max_speakers, num_speakers))
        except (RuntimeError, ValueError) as exc:
            raise EngineFailed(f"pyannote pipeline failed: {exc}") from exc
        annotation = getattr(output, "speaker_diarization", output)  # 4.x returns DiarizeOutput
        return _turns(annotation), f"pipeline={path}"
