"""A character's saved TTS voice (`voice_settings["voice"]`): a media.tts VoiceSpec key that must
name a voice this server can speak in the series' language, so a typo cannot silently fall back
to a preset at dub time."""
from __future__ import annotations

from dubsite.errors import Invalid

__all__ = ["ENGINES", "available_voices", "check_voice_key"]

ENGINES = ("xtts-preset", "piper", "flite", "espeak")
# bounds of the colour options a key may carry (VoiceSpec: espeak pitch 0-99 and words per minute,
# semitone shift of any engine and of its formants, Piper's and flite's phoneme length)
_BOUNDS = {"pitch": (0, 99), "rate": (80, 450), "pitch_semitones": (-12.0, 12.0), "length_scale": (0.5, 2.0),
           "formant_semitones": (-6.0, 6.0)}


def available_voices(language: str) -> list:
    """Every preset voice here for the language (media.tts.list_voices), as VoiceSpecs."""
    from media.tts import list_voices  # the TTS catalogue loads only when a voice is looked at

    return list_voices(language)


def check_voice_key(key: str, language: str) -> str:
    """The normalised key of a voice that exists here, or Invalid naming the `voice` field."""
    from media.tts import VoiceSpec

    try:
        spec = VoiceSpec.parse(key.strip())
    except ValueError as exc:
        raise Invalid(f"not a voice key: {exc}", fields={"voice": "not a voice key"}) from exc
    if spec.engine not in ENGINES:
        raise Invalid(f"voice {key!r}: engine must be one of {', '.join(ENGINES)}", fields={"voice": "unknown engine"})
    for name, (low, high) in _BOUNDS.items():
        value = getattr(spec, name)
        if value is not None and not low <= value <= high:
            raise Invalid(f"voice {key!r}: {name} must be within {low}…{high}", fields={"voice": f"{name} out of range"})
    known = {(v.engine, v.voice_id, v.speaker) for v in available_voices(language)}
    if (spec.engine, spec.voice_id, spec.speaker) not in known:
        raise Invalid(f"voice {key!r} is not installed here for language {language!r}",
                      fields={"voice": "not available"})
    return spec.key
