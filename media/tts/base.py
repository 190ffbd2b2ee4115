"""TTS data types shared by every engine: what to say, with which voice, and what came out."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from ..audio import save

__all__ = ["VoiceSpec", "TtsRequest", "TtsResult", "EngineOutput", "TtsEngine", "language_base"]


@dataclass(frozen=True)
class VoiceSpec:
    """A non-cloned voice: which engine, which voice, and how to colour it.

    `engine` is "xtts-preset", "piper", "flite", "espeak" or "" (let the chain decide). `voice_id`
    is the engine's own voice name (XTTS preset speaker, Piper voice, flite voice such as "slt",
    espeak variant such as "f3"). `speaker` picks a speaker of a multi-speaker Piper voice.
    `pitch`/`rate` are espeak's 0-99 pitch and words per minute; `pitch_semitones` shifts any
    engine's output afterwards (duration preserved); `formant_semitones`, when set, moves the
    formants (the vocal tract's size) by that much independently of the pitch (None: they follow
    the pitch, the older behaviour); `length_scale` is Piper's and flite's phoneme length (>1 slower).
    """

    engine: str = ""
    voice_id: str = ""
    speaker: str = ""
    gender: str = ""  # "m" | "f" | "" (unknown)
    pitch: int = 50
    rate: int = 165
    pitch_semitones: float = 0.0
    length_scale: float = 1.0
    label: str = ""
    formant_semitones: float | None = None

    @property
    def key(self) -> str:
        """Stable identifier, also accepted by `parse` (for the CLI, manifests and caches)."""
        parts = [self.engine or "any", self.voice_id or "default"]
        if self.speaker:
            parts.append(f"spk={self.speaker}")
        if self.engine == "espeak":
            parts += [f"p={self.pitch}", f"s={self.rate}"]
        if self.pitch_semitones:
            parts.append(f"st={self.pitch_semitones:+g}")
        if self.formant_semitones is not None:
            parts.append(f"fs={self.formant_semitones:+g}")
        if self.length_scale != 1.0:
            parts.append(f"ls={self.length_scale:g}")
        if self.gender:
            parts.append(f"g={self.gender}")
        return ":".join(parts)

    @classmethod
    def parse(cls, text: str) -> "VoiceSpec":
        """Inverse of `key`: "piper:en_US-joe-medium:st=-2", "piper:en_US-joe-medium:st=+7:fs=+2",
        "flite:slt", "espeak:f3:p=60:s=170", "xtts-preset:Ana"."""
        head, *rest = text.split(":")
        engine = "" if head == "any" else head
        voice_id = ""
        options: dict[str, str] = {}
        for part in rest:
            if "=" in part:
                name, value = part.split("=", 1)
                options[name] = value
            elif not voice_id:
                voice_id = "" if part == "default" else part
            else:
                raise ValueError(f"voice {text!r}: unexpected part {part!r}")
        try:
            return cls(
                engine=engine,
                voice_id=voice_id,
                speaker=options.get("spk", ""),
                gender=options.get("g", ""),
                pitch=int(options.get("p", 50)),
                rate=int(options.get("s", 165)),
                pitch_semitones=float(options.get("st", 0.0)),
                length_scale=float(options.get("ls", 1.0)),
                formant_semitones=float(options["fs"]) if "fs" in options else None,
            )
        except ValueError as exc:
            raise ValueError(f"voice {text!r}: {exc}") from exc

    def with_(self, **changes) -> "VoiceSpec":
        return replace(self, **changes)

    def as_dict(self) -> dict:
        return asdict(self) | {"key": self.key}


@dataclass(frozen=True)
class TtsRequest:
    text: str
    language: str = "en"
    voice: VoiceSpec | None = None
    ref_wav: str | Path | None = None
    clone: bool = False
    slot_seconds: float | None = None
    seed: int | None = None  # sampling engines (XTTS) are made repeatable per line
    speed: float = 1.0  # native speaking rate (>1 faster): a cleaner way to fit a slot than stretching

    def __post_init__(self):
        if not 0.5 <= self.speed <= 2.0:
            raise ValueError(f"speed must be within 0.5..2.0, got {self.speed}")


@dataclass
class EngineOutput:
    """What one engine returns; the chain wraps it into a TtsResult."""

    samples: np.ndarray  # float32 mono
    sample_rate: int
    voice_id: str
    cloned: bool = False


@dataclass
class TtsResult:
    samples: np.ndarray
    sample_rate: int
    provider: str
    voice_id: str
    clone_attempted: bool
    clone_succeeded: bool
    fallback_reasons: list[str] = field(default_factory=list)
    native_speed: float = 1.0  # the engine was asked to speak this much faster (media.tts.fitted.speak_within)

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate)

    def save(self, path: str | Path) -> Path:
        return save(path, self.samples, self.sample_rate)

    def manifest(self) -> dict:
        """JSON-friendly description for tts_manifest.json and job events (no samples)."""
        return {
            "provider": self.provider,
            "voice_id": self.voice_id,
            "sample_rate": self.sample_rate,
            "duration": round(self.duration, 3),
            "clone_attempted": self.clone_attempted,
            "clone_succeeded": self.clone_succeeded,
            "fallback_reasons": list(self.fallback_reasons),
        }


class TtsEngine(Protocol):
    name: str

    def availability(self) -> tuple[bool, str]: ...

    def applies(self, request: TtsRequest) -> tuple[bool, str]:
        """Whether this engine is meant for this request (clone asked, voice of this engine...)."""
        ...

    def synthesize(self, request: TtsRequest) -> EngineOutput: ...


def language_base(language: str) -> str:
    """"en-US" / "en_US" -> "en"."""
    return (language or "en").replace("_", "-").split("-")[0].lower()


def as_mono_float(samples) -> np.ndarray:
    arr = np.asarray(samples, dtype=np.float32)
    if arr.ndim > 1:
        arr = arr.reshape(-1) if 1 in arr.shape else arr.mean(axis=-1)
    return np.ascontiguousarray(arr)
