"""What each mode means in engine settings, and the downgrades a machine forces on it.

| mode   | ASR model               | separation          | diarization              | two-pass |
| low    | tiny.en (en) / base     | passthrough (none)  | pyannote (full/offline)  | off      |
| medium | base if installed       | demucs, else DFN3   | pyannote (full/offline)  | off      |
| high   | base if installed       | demucs required*    | pyannote (full/offline)  | on       |

DFN3: DeepFilterNet3 speech + masked background (media.separation_dfn), used when demucs has no weights.

(*) "required" means the job records the downgrade when the weights are missing.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field

from media import modelpaths
from media.placement import CROSSTALK_CAP, DEFAULT_MAX_SHIFT
from media.tts.retake import retakes_setting

__all__ = ["ModeSettings", "crosstalk_cap_setting", "max_shift_setting", "resolve_mode"]

# Offline pyannote runs at about 0.12 x real time on 2 cores, so every mode can afford it.
DIARIZATION = ["pyannote", "pyannote-offline", "vad-clustering"]


@dataclass
class ModeSettings:
    mode: str
    asr_model: str
    separation: list[str]  # engine preference
    diarization: list[str]
    tts_speed_cap: float = 1.35
    # seconds a dubbed line may start away from its source line so that lines do not talk over each other
    tts_max_shift: float = field(default_factory=lambda: max_shift_setting())
    # takes a line of a sampling voice (Piper, XTTS) is spoken again when ASR does not understand it
    tts_retakes: int = field(default_factory=lambda: retakes_setting())
    # overall speed-up a line still talked over after placement may reach (<= 1: lines stay as fitted)
    tts_crosstalk_cap: float = field(default_factory=lambda: crosstalk_cap_setting())
    downgrades: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def max_shift_setting() -> float:
    """DUBSITE_TTS_MAX_SHIFT (seconds, >= 0; 0 lays every line at its source time), else the default."""
    raw = os.environ.get("DUBSITE_TTS_MAX_SHIFT", "").strip()
    return max(float(raw), 0.0) if raw else DEFAULT_MAX_SHIFT


def crosstalk_cap_setting() -> float:
    """DUBSITE_TTS_CROSSTALK_CAP (overall speed-up, <= 1 turns it off), else media.placement's 1.5."""
    raw = os.environ.get("DUBSITE_TTS_CROSSTALK_CAP", "").strip()
    return float(raw) if raw else CROSSTALK_CAP


def _whisper_for(language: str, wanted: str, downgrades: list[str], mode: str) -> str:
    if modelpaths.whisper_model(wanted)[0]:
        return wanted
    if language == "en" and wanted != "tiny.en":
        downgrades.append(f"{mode} wants whisper {wanted}; {modelpaths.whisper_model(wanted)[1]}; asr: tiny.en")
        return "tiny.en"
    return wanted  # non-English without a multilingual model: the asr stage fails with the reason


def resolve_mode(mode: str, source_language: str) -> ModeSettings:
    downgrades: list[str] = []
    if mode == "low":
        asr = "tiny.en" if source_language == "en" else _whisper_for(source_language, "base", downgrades, mode)
        return ModeSettings(mode, asr, ["passthrough"], DIARIZATION, downgrades=downgrades)
    asr = _whisper_for(source_language, "base", downgrades, mode)
    demucs, why = modelpaths.demucs_repo()
    if demucs is None:
        downgrades.append(f"{mode} wants demucs weights; {why}; separation: deepfilternet, else fallback (degraded)")
    return ModeSettings(mode, asr, ["demucs", "deepfilternet", "passthrough"], DIARIZATION, downgrades=downgrades)
