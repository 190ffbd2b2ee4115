"""The preset palette: intelligible, mutually distinct voices handed to an episode's characters
before espeak-ng's variants (which tiny.en understands worse, README "Dub intelligibility").

Order is the order characters receive them, per gender: the clearest voices first. Shifted copies
of a voice move its formants (vocal-tract size) as well as its pitch (media.tts.voices.shift_voice)
so they sound, and embed, like another person; a pitch shift alone keeps the same speaker.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from .base import TtsRequest, VoiceSpec, language_base
from .flite import FliteEngine, flite_voices
from .piper import DEFAULT_VOICE, PiperEngine, piper_voice_infos

__all__ = ["PALETTE", "palette", "assign_palette"]

_JOE = f"piper:{DEFAULT_VOICE}"
# (key, gender). Measured round-trip WER and similarities: README "Dub intelligibility".
PALETTE: tuple[tuple[str, str], ...] = (
    (_JOE, "m"),
    ("flite:slt", "f"),
    ("flite:rms", "m"),
    (f"{_JOE}:st=+8:fs=+3", "f"),  # a woman's pitch and a shorter vocal tract
    ("flite:awb", "m"),
    ("flite:slt:st=-2:fs=-3", "f"),  # a lower, larger-bodied woman
    (f"{_JOE}:st=-2:fs=-3", "m"),  # a deeper, larger-bodied man
    ("flite:kal16", "m"),  # the least clear man once sped up
    # two more women, so that an episode's fourth and fifth woman are not left to espeak-ng (its
    # steph/f3 lost 0.30 of their words on the composite dub; these 0.04-0.11 up to 1.3x):
    ("flite:rms:st=+5:fs=+3", "f"),  # a man's voice made a woman's: at most 0.45 like any other voice here
    ("flite:slt:st=+3:fs=+2", "f"),  # a younger, smaller slt: the closest pair of the palette (0.62)
)


def _usable(spec: VoiceSpec, language: str) -> bool:
    lang = language_base(language)
    if spec.engine == "piper":
        info = piper_voice_infos().get(spec.voice_id)
        return info is not None and info.language == lang and PiperEngine().availability()[0]
    if spec.engine == "flite":
        return (FliteEngine().availability()[0] and spec.voice_id in flite_voices()
                and FliteEngine().applies(TtsRequest("", language, voice=spec))[0])
    return False


def palette(language: str = "en") -> list[VoiceSpec]:
    """The palette voices that can speak `language` on this machine, in the order they are given."""
    out = []
    for key, gender in PALETTE:
        spec = VoiceSpec.parse(key).with_(gender=gender)
        if _usable(spec, language):
            shifted = spec.formant_semitones is not None
            extra = f" {spec.pitch_semitones:+g} st / formants {spec.formant_semitones:+g} st" if shifted else ""
            out.append(spec.with_(label=f"{spec.engine} {spec.voice_id}{extra}"))
    return out


def assign_palette(speakers: Sequence[str], genders: Mapping[str, str], language: str = "en") -> dict[str, VoiceSpec]:
    """Palette voices for the speakers, in the given order (most talkative first), one voice each.

    A speaker with a gender hint gets the next free voice of that gender; one without a hint the
    next free voice of either. Speakers left over when the palette runs out get no entry here
    (the caller gives them espeak-ng variants)."""
    free = palette(language)
    out: dict[str, VoiceSpec] = {}
    for s in speakers:
        g = (genders.get(s) or "")[:1].lower()
        pick = next((v for v in free if not g or v.gender == g), None)
        if pick is not None:
            free.remove(pick)
            out[s] = pick
    return out
