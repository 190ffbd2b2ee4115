"""Every stage's engines in one list: what `manage.py models` and the admin page show."""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from . import modelpaths

__all__ = ["EngineStatus", "STAGES", "engine_report", "model_paths"]

# stage -> (module whose `registry(**kwargs)` lists its engines in preference order, kwargs)
STAGES = {
    "separation": ("media.separation", {}),
    "vad": ("media.vad", {}),
    "embeddings": ("media.embeddings", {}),
    "diarization": ("media.diarization", {}),
    "asr": ("media.asr", {}),
    # translation engines depend on the pair; Japanese → English shows what a typical job gets
    "translation ja→en": ("media.translation", {"source": "ja", "target": "en"}),
    "tts": ("media.tts", {}),
}


@dataclass(frozen=True)
class EngineStatus:
    stage: str
    engine: str
    available: bool
    reason: str


def engine_report() -> list[EngineStatus]:
    rows: list[EngineStatus] = []
    for stage, (module_name, kwargs) in STAGES.items():
        try:
            registry = importlib.import_module(module_name).registry(**kwargs)
        except ImportError as exc:  # a broken install must show up here, not crash the page
            rows.append(EngineStatus(stage, "-", False, f"cannot import {module_name}: {exc}"))
            continue
        rows.extend(EngineStatus(stage, name, ok, reason) for name, ok, reason in registry.report())
    return rows


def model_paths() -> dict[str, str]:
    return modelpaths.describe()
