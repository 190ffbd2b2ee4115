"""Django-free audio/video processing: paths and dataclasses in, dataclasses out.

Nothing here imports Django, and nothing downloads weights: HF_HUB_OFFLINE is forced on
import so that a missing weight is a clear error instead of a network hang.
"""
import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# oneDNN (torch's CPU convolutions) keeps a compiled primitive per input shape, 1024 of them by
# default. Speaker embeddings see a new clip length almost every call, so over a 23-minute
# diarization the cache filled with ~450 MB of primitives never used again (peak RSS 1.97-2.07 GB,
# 1.5 GB without the cache; tests/bench/bench_diarization_episode.py, README). A few entries keep
# the fixed-shape models (segmentation, separation) from rebuilding theirs. Read by oneDNN when
# it first builds a primitive, so it must be set before any model runs: importing media does.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")
