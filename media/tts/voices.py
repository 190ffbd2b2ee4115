"""Non-cloned voices: one distinct, repeatable voice per character, and the catalogue of all
voices available here (so a later pass can pick the one closest to a speaker's reference)."""
from __future__ import annotations

import hashlib
from typing import Iterable, Mapping, Sequence

import numpy as np

from ..timing import has_rubberband, run_filter
from .base import TtsRequest, VoiceSpec, language_base
from .espeak import FEMALE_VARIANTS, MALE_VARIANTS, EspeakEngine
from .flite import FLITE_VOICES, FliteEngine, flite_voices
from .piper import PiperEngine, piper_voice_infos
from .xtts import XttsPresetEngine

__all__ = ["character_voice", "assign_voices", "list_voices", "shift_pitch", "shift_voice", "PITCH_SHIFTS"]

PITCH_SHIFTS = (-4.0, -2.0, 0.0, 2.0, 4.0)  # semitones offered on top of each Piper voice
# espeak pitch (0-99) ranges per gender: low male .. high female, overlapping in the middle
_PITCH = {"m": (28, 52), "f": (58, 82), "": (35, 75)}
_RATE = (150, 182)


def _gender(value: str | None) -> str:
    v = (value or "").strip().lower()
    return v[0] if v[:1] in ("m", "f") else ""


def _digest(code: str) -> bytes:
    return hashlib.sha256(code.encode("utf-8")).digest()


def character_voice(code: str, gender: str | None = "", *, index: int | None = None, language: str = "en") -> VoiceSpec:
    """A deterministic espeak-ng voice for a character.

    The same code always gives the same voice. With `index` (the character's position among
    the episode's characters of the same gender) consecutive characters get different variants
    first and different pitches after the variants run out, so they stay distinct.
    """
    g = _gender(gender)
    h = _digest(f"{language_base(language)}:{code}")
    pool = MALE_VARIANTS if g == "m" else FEMALE_VARIANTS if g == "f" else _mixed_pool()
    if index is None:
        variant = pool[h[0] % len(pool)]
        lap = h[1] % 3
    else:
        variant = pool[index % len(pool)]
        lap = (index // len(pool)) % 3
    lo, hi = _PITCH[g]
    # three pitch bands, and a jitter from the hash inside the band
    band = (hi - lo) / 3.0
    pitch = int(lo + band * ((lap + (h[2] % 3)) % 3) + (h[3] % max(int(band), 1)))
    rate = _RATE[0] + h[4] % (_RATE[1] - _RATE[0])
    label = f"{code or 'default'} ({variant}, pitch {pitch})"
    return VoiceSpec(engine="espeak", voice_id=variant, gender=g, pitch=pitch, rate=rate, label=label)


def _mixed_pool() -> list[str]:
    mixed = []
    for i in range(max(len(MALE_VARIANTS), len(FEMALE_VARIANTS))):
        if i < len(MALE_VARIANTS):
            mixed.append(MALE_VARIANTS[i])
        if i < len(FEMALE_VARIANTS):
            mixed.append(FEMALE_VARIANTS[i])
    return mixed


def assign_voices(codes: Sequence[str], genders: Mapping[str, str] | None = None, *, language: str = "en") -> dict[str, VoiceSpec]:
    """Distinct espeak voices for the characters of an episode (stable for a given order)."""
    genders = genders or {}
    counters: dict[str, int] = {}
    out: dict[str, VoiceSpec] = {}
    for code in codes:
        g = _gender(genders.get(code))
        out[code] = character_voice(code, g, index=counters.get(g, 0), language=language)
        counters[g] = counters.get(g, 0) + 1
    return out


def list_voices(
    language: str = "en",
    *,
    pitch_shifts: Iterable[float] = PITCH_SHIFTS,
    engines: Iterable[str] = ("xtts-preset", "piper", "flite", "espeak"),
    max_speakers_per_voice: int = 16,
) -> list[VoiceSpec]:
    """Every non-clone voice that can speak `language` here, as VoiceSpecs the chain accepts.

    Piper voices come at several pitch shifts (duration kept); flite's built-in voices as they
    are; the palette's formant-shifted copies (media.tts.palette); espeak variants at their
    gender's middle pitch. XTTS presets are listed when speakers_xtts.pth exists.
    """
    wanted = set(engines)
    lang = language_base(language)
    voices: list[VoiceSpec] = []
    if "xtts-preset" in wanted and XttsPresetEngine().availability()[0]:
        voices += [VoiceSpec(engine="xtts-preset", voice_id=name, label=f"XTTS {name}") for name in XttsPresetEngine.speakers()]
    if "piper" in wanted and PiperEngine().availability()[0]:
        for info in piper_voice_infos().values():
            if info.language != lang:
                continue
            for speaker in (info.speakers[:max_speakers_per_voice] or ("",)):
                for st in pitch_shifts:
                    label = f"Piper {info.name}{' ' + speaker if speaker else ''}{f' {st:+g} st' if st else ''}"
                    voices.append(VoiceSpec(engine="piper", voice_id=info.name, speaker=speaker,
                                            pitch_semitones=float(st), label=label))
    if "flite" in wanted and FliteEngine().availability()[0] and FliteEngine().applies(TtsRequest("", language))[0]:
        voices += [VoiceSpec(engine="flite", voice_id=name, gender=FLITE_VOICES[name], label=f"flite {name}")
                   for name in flite_voices()]
    from .palette import palette  # local: the palette module imports this one's engines

    listed = {(v.engine, v.voice_id, v.speaker, v.pitch_semitones, v.formant_semitones) for v in voices}
    voices += [v for v in palette(language) if v.engine in wanted
               and (v.engine, v.voice_id, v.speaker, v.pitch_semitones, v.formant_semitones) not in listed]
    if "espeak" in wanted:
        espeak = EspeakEngine()
        if espeak.availability()[0] and espeak.applies(TtsRequest("", language))[0]:
            for g, pool in (("m", MALE_VARIANTS), ("f", FEMALE_VARIANTS)):
                lo, hi = _PITCH[g]
                for variant in pool:
                    voices.append(VoiceSpec(engine="espeak", voice_id=variant, gender=g, pitch=(lo + hi) // 2,
                                            label=f"espeak {variant}"))
    return voices


def shift_voice(samples: np.ndarray, sample_rate: int, pitch_semitones: float,
                formant_semitones: float | None = None) -> np.ndarray:
    """Another voice from a voice: pitch moved by `pitch_semitones` and the formants (vocal tract
    size, what speaker embeddings and listeners hear as a different person) by `formant_semitones`,
    duration kept. None: formants follow the pitch (`shift_pitch`).

    Resampling by the formant ratio moves pitch, formants and tempo together; rubberband in its
    formant-preserving mode then puts pitch and tempo where they belong without moving the
    formants again. ffmpeg's rubberband (R2 engine) preserves formants when it shifts pitch up,
    much less when it shifts down (measured: tests/media/test_tts_flite.py), so voices are built
    with the pitch moved at least as far up as the formants (pitch_semitones >= formant_semitones).
    Without ffmpeg's rubberband only the joint shift is possible."""
    if formant_semitones is None or not has_rubberband():
        return shift_pitch(samples, sample_rate, pitch_semitones)
    if not pitch_semitones and not formant_semitones:
        return samples
    formant = 2.0 ** (formant_semitones / 12.0)
    pitch = 2.0 ** (pitch_semitones / 12.0)
    graph = (f"asetrate={int(round(sample_rate * formant))},aresample={sample_rate},"
             f"rubberband=tempo={1.0 / formant:.6f}:pitch={pitch / formant:.6f}:formant=preserved:pitchq=quality")
    out = run_filter(samples, sample_rate, graph)
    n = len(samples)
    return out[:n] if len(out) >= n else np.pad(out, (0, n - len(out)))


def shift_pitch(samples: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """Shift pitch by `semitones` keeping the duration (rubberband, else resample + atempo)."""
    if not semitones:
        return samples
    ratio = 2.0 ** (semitones / 12.0)
    if has_rubberband():
        graph = f"rubberband=pitch={ratio:.6f}"
    else:
        # play faster/slower at a new rate (shifts pitch and tempo), then undo the tempo
        tempo = 1.0 / ratio
        graph = f"asetrate={int(round(sample_rate * ratio))},aresample={sample_rate},atempo={tempo:.6f}"
    out = run_filter(samples, sample_rate, graph)
    n = len(samples)
    return out[:n] if len(out) >= n else np.pad(out, (0, n - len(out)))
