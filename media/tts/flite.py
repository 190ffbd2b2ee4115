"""flite (CMU Flite, Debian package `flite`): five built-in English voices, small and fast, and
clearer than espeak-ng's variants once a line is sped up (README "Dub intelligibility").

Voices: slt (US female), rms (US male), awb (Scottish male), kal16 and kal (US male diphone,
kal at 8 kHz). `awb_time` only speaks clock times and is never offered.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..audio import load
from ..errors import EngineUnavailable
from .base import EngineOutput, TtsRequest, VoiceSpec, language_base
from .binary import run_to_wav

__all__ = ["FliteEngine", "FLITE_VOICES", "DEFAULT_FLITE_VOICE", "flite_voices"]

# voice -> gender, in the order characters receive them (most intelligible first, see README)
FLITE_VOICES = {"slt": "f", "rms": "m", "awb": "m", "kal16": "m", "kal": "m"}
DEFAULT_FLITE_VOICE = "slt"


@lru_cache(maxsize=1)
def flite_voices() -> tuple[str, ...]:
    """The built-in voices this flite binary lists (`flite -lv`) that we offer."""
    if shutil.which("flite") is None:
        return ()
    try:
        proc = subprocess.run(["flite", "-lv"], capture_output=True, timeout=30, check=False)
    except (subprocess.TimeoutExpired, OSError):
        return ()
    listed = set(proc.stdout.decode("utf-8", "replace").replace("Voices available:", "").split())
    return tuple(v for v in FLITE_VOICES if v in listed)


class FliteEngine:
    name = "flite"
    timeout = 120.0

    def availability(self) -> tuple[bool, str]:
        if shutil.which("flite") is None:
            return False, "flite not on PATH (apt-get install flite)"
        voices = flite_voices()
        if not voices:
            return False, "flite lists none of its built-in voices (flite -lv)"
        return True, f"flite voices: {', '.join(voices)}"

    def applies(self, request: TtsRequest) -> tuple[bool, str]:
        if language_base(request.language) != "en":
            return False, f"flite speaks English only, not {request.language!r}"
        voice = request.voice
        if voice and voice.engine == "flite" and voice.voice_id and voice.voice_id not in FLITE_VOICES:
            return False, f"flite has no voice {voice.voice_id!r}"
        return True, ""

    def synthesize(self, request: TtsRequest) -> EngineOutput:
        ok, why = self.availability()
        if not ok:
            raise EngineUnavailable(why)
        spec = request.voice if request.voice and request.voice.engine == "flite" else None
        name = spec.voice_id if spec and spec.voice_id else DEFAULT_FLITE_VOICE
        if name not in flite_voices():
            raise EngineUnavailable(f"flite voice {name!r} not available here")
        stretch = (spec.length_scale if spec else 1.0) / request.speed
        with tempfile.TemporaryDirectory(prefix="flite-") as tmp:
            text, wav = Path(tmp) / "line.txt", Path(tmp) / "out.wav"
            # text from a file, never as an argument: flite treats a spaceless argument as a file name
            text.write_text(request.text, encoding="utf-8")
            args = ["flite", "-voice", name, "--setf", f"duration_stretch={stretch:.4f}",
                    "-f", str(text), "-o", str(wav)]
            run_to_wav(args, wav, name="flite", timeout=self.timeout)
            audio = load(wav, mono=True)
        samples = audio.samples.astype(np.float32)
        key_spec = (spec or VoiceSpec(engine="flite")).with_(engine="flite", voice_id=name)
        if key_spec.pitch_semitones or key_spec.formant_semitones:
            from .voices import shift_voice

            samples = shift_voice(samples, audio.sample_rate, key_spec.pitch_semitones, key_spec.formant_semitones)
        return EngineOutput(samples, audio.sample_rate, key_spec.key)
