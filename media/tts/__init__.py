"""Text to speech: one line at a time through a chain of engines, with reasons.

    from media.tts import TtsRequest, VoiceSpec, synthesize
    result = synthesize(TtsRequest("Hello.", "en", voice=character_voice("ALICE", "f"), ref_wav=ref, clone=True))
    result.provider, result.clone_succeeded, result.fallback_reasons

Chain: xtts (clone from ref) → xtts-preset → piper → flite → espeak → silence.
"""
from .base import EngineOutput, TtsRequest, TtsResult, VoiceSpec
from .chain import ORDER, finish, registry, synthesize
from .voices import assign_voices, character_voice, list_voices, shift_pitch, shift_voice

__all__ = [
    "EngineOutput", "TtsRequest", "TtsResult", "VoiceSpec", "ORDER", "registry", "synthesize", "finish",
    "assign_voices", "character_voice", "list_voices", "shift_pitch", "shift_voice",
]
