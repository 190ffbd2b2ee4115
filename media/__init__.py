"""Django-free audio/video processing: paths and dataclasses in, dataclasses out.

Nothing here imports Django, and nothing downloads weights: HF_HUB_OFFLINE is forced on
import so that a missing weight is a clear error instead of a network hang.
"""
import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
