"""espeak-ng: always-there formant TTS. Robotic, but intelligible and distinct per character.

Each character gets a variant (m1..m7, f1..f5, ...), a pitch and a rate derived from its code,
so two characters never share a voice by accident (see voices.character_voice).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ..audio import load
from .base import EngineOutput, TtsRequest, VoiceSpec, language_base
from .binary import run_to_wav

__all__ = ["EspeakEngine", "MALE_VARIANTS", "FEMALE_VARIANTS", "espeak_language"]

# Variants that sound like speech (no whisper, robot or announcer effects), in the order
# characters receive them once the palette (media.tts.palette) has run out: farthest-first by
# measured resemblyzer similarity, so the first characters get the most distinct voices. Variants
# tiny.en understood worse than 0.15 on clean sentences are left out (README "Dub intelligibility":
# Andy 0.17, Annie 0.17, belinda 0.19, linda 0.22; before them david, anika, Andrea); klatt4
# comes late because it sounds like the male klatt.
MALE_VARIANTS = ["john", "klatt", "paul", "m7", "m6", "m2", "klatt3", "max", "m4", "m3", "m5", "m1"]
FEMALE_VARIANTS = ["f3", "steph", "f5", "klatt4", "f1", "f4", "f2"]

# espeak-ng voice names for the languages it reads better under a regional name
_LANG = {"en": "en-us", "pt": "pt-br", "zh": "cmn", "fa": "fa", "sr": "sr"}


def espeak_language(language: str) -> str:
    base = language_base(language)
    full = (language or "").replace("_", "-").lower()
    if full != base and _known_language(full):
        return full
    return _LANG.get(base, base)


def _known_language(code: str) -> bool:
    return code in _languages()


_LANGS: set[str] | None = None


def _languages() -> set[str]:
    global _LANGS
    if _LANGS is None:
        langs: set[str] = set()
        if shutil.which("espeak-ng"):
            try:
                proc = subprocess.run(["espeak-ng", "--voices"], capture_output=True, timeout=30, check=False)
            except subprocess.TimeoutExpired:
                proc = None
            if proc is not None and proc.returncode == 0:
                for row in proc.stdout.decode("utf-8", "replace").splitlines()[1:]:
                    cols = row.split()
                    if len(cols) >= 2:
                        langs.add(cols[1].lower())
        _LANGS = langs
    return _LANGS


class EspeakEngine:
    name = "espeak"
    timeout = 120.0

    def availability(self) -> tuple[bool, str]:
        if shutil.which("espeak-ng") is None:
            return False, "espeak-ng not on PATH (apt-get install espeak-ng)"
        return True, "espeak-ng"

    def applies(self, request: TtsRequest) -> tuple[bool, str]:
        lang = espeak_language(request.language)
        if _languages() and lang not in _languages() and language_base(lang) not in _languages():
            return False, f"espeak-ng has no voice for language {request.language!r}"
        return True, ""

    def voice_arg(self, request: TtsRequest) -> tuple[str, VoiceSpec]:
        voice = request.voice if request.voice and request.voice.engine == "espeak" else None
        if voice is None:
            from .voices import character_voice  # local: voices imports the engines

            voice = character_voice("", (request.voice.gender if request.voice else ""), language=request.language)
        lang = espeak_language(request.language)
        return (f"{lang}+{voice.voice_id}" if voice.voice_id else lang), voice

    def synthesize(self, request: TtsRequest) -> EngineOutput:
        arg, voice = self.voice_arg(request)
        with tempfile.TemporaryDirectory(prefix="espeak-") as tmp:
            wav = Path(tmp) / "out.wav"
            # text on stdin, never as an argument: a line starting with "-" is not an option
            args = ["espeak-ng", "-v", arg, "-p", str(int(voice.pitch)), "-s", str(int(round(voice.rate * request.speed))),
                    "-w", str(wav), "--stdin"]
            run_to_wav(args, wav, name="espeak-ng", timeout=self.timeout, stdin=request.text.encode("utf-8"))
            audio = load(wav, mono=True)
        samples = audio.samples.astype(np.float32)
        if voice.pitch_semitones or voice.formant_semitones:
            from .voices import shift_voice

            samples = shift_voice(samples, audio.sample_rate, voice.pitch_semitones, voice.formant_semitones)
        return EngineOutput(samples, audio.sample_rate, voice.with_(engine="espeak").key)
