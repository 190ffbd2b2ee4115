"""A short sentence spoken with a preset voice, so a person can hear a voice before saving it.

Preset voices are not anyone's voice data, so the WAV is cached in plain files under
`$DUBSITE_VAR_DIR/cache/voice-previews/`, one per voice key and language (synthesis takes a
second or two; the page may ask for many)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings

from media.audio import save
from media.tts import TtsRequest, VoiceSpec, synthesize
from series.voicekeys import check_voice_key

__all__ = ["PREVIEW_TEXT", "voice_preview"]

PREVIEW_TEXT = {
    "en": "Hello there. This is how I sound in your dub.",
    "fr": "Bonjour. Voici ma voix dans votre doublage.",
    "de": "Hallo. So klinge ich in deiner Synchronisation.",
    "es": "Hola. Así sueno en tu doblaje.",
    "it": "Ciao. Ecco come suono nel tuo doppiaggio.",
    "pt": "Olá. É assim que eu soo na sua dublagem.",
}


def _cache_dir() -> Path:
    return Path(getattr(settings, "VAR_DIR", settings.MEDIA_ROOT)) / "cache" / "voice-previews"


def voice_preview(key: str, language: str) -> bytes:
    """WAV bytes of the preview sentence in `language` spoken by the voice `key` (validated: only
    voices installed here are synthesized, so a request cannot make the server run arbitrary options)."""
    key = check_voice_key(key, language)
    lang = language.split("-")[0].lower()
    text = PREVIEW_TEXT.get(lang, PREVIEW_TEXT["en"])
    path = _cache_dir() / f"{hashlib.sha256(f'{lang}|{key}|{text}'.encode()).hexdigest()}.wav"
    if path.exists():
        return path.read_bytes()
    result = synthesize(TtsRequest(text, lang if lang in PREVIEW_TEXT else "en", voice=VoiceSpec.parse(key)))
    save(path, result.samples, result.sample_rate)  # written aside, then renamed into place
    return path.read_bytes()
