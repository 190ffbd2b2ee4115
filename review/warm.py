"""Keep the preview voice warm in web processes: load the bundled Piper voice (into media.cache's
per-process model cache) and calibrate its speaking rate in a background thread at start-up, so the
first Regenerate and the first budget of a session do not pay the load (about 1-5 s)."""
from __future__ import annotations

import logging
import os
import threading

__all__ = ["warm_preview_voice", "warm_in_background"]

log = logging.getLogger(__name__)


def warm_preview_voice(language: str = "en") -> str:
    """Speak one word with the language's first Piper voice; returns its key ('' when none)."""
    from media.tts import TtsRequest, list_voices, synthesize

    from .budget import voice_rate

    voices = list_voices(language, pitch_shifts=(0.0,), engines=("piper",))
    if not voices:
        return ""
    synthesize(TtsRequest("Ready.", language, voice=voices[0]))
    voice_rate(voices[0], language)
    return voices[0].key


def warm_in_background() -> threading.Thread | None:
    """Called by the WSGI entry point; DUBSITE_WARM_TTS=0 turns it off (e.g. a web node that never previews)."""
    if os.environ.get("DUBSITE_WARM_TTS", "1") in ("0", "false", "no"):
        return None

    def run():
        try:
            key = warm_preview_voice(os.environ.get("DUBSITE_WARM_TTS_LANGUAGE", "en"))
            log.info("preview voice warm: %s", key or "no Piper voice installed")
        except Exception:  # a missing voice must never keep the site from starting
            log.warning("could not warm the preview voice", exc_info=True)

    thread = threading.Thread(target=run, name="warm-preview-voice", daemon=True)
    thread.start()
    return thread
