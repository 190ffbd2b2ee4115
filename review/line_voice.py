"""Which voice speaks one line again: the line's voice plan (how the pass spoke it), or, for a
line spoken before plans were kept, the character's saved voice, else a preset; every fallback
is said in `notes`, so the take can tell the editor why it may sound different."""
from __future__ import annotations

from dataclasses import dataclass, field

from media.tts import VoiceSpec, character_voice, list_voices

from .models import Segment

__all__ = ["LineVoice", "line_voice"]


@dataclass
class LineVoice:
    voice: VoiceSpec | None
    source: str  # preset | saved | extracted_ref | series_ref | matched_preset
    clone: bool = False
    ref: str = ""  # the job ref (logical name) to clone from; "" for a series ref or no clone
    notes: list[str] = field(default_factory=list)

    def as_plan(self) -> dict:
        return {"voice": self.voice.key if self.voice else "", "source": self.source, "clone": self.clone,
                "ref": self.ref, "notes": list(self.notes)}


def _parse(key: str | None) -> VoiceSpec | None:
    if not key:
        return None
    try:
        return VoiceSpec.parse(key)
    except ValueError:
        return None


def _preset(segment: Segment, language: str) -> VoiceSpec:
    """The pass's first choice for a talkative speaker: a Piper voice of the language, else the
    character's deterministic espeak voice."""
    piper = list_voices(language, pitch_shifts=(0.0,), engines=("piper",))
    if piper:
        return piper[0]
    code = segment.character.code if segment.character_id else segment.diar_label
    gender = (segment.character.voice_settings or {}).get("gender", "") if segment.character_id else ""
    return character_voice(code or "default", gender, language=language)


def line_voice(segment: Segment, *, language: str, clone_ok: tuple[bool, str]) -> LineVoice:
    """`clone_ok` is the cloning engine's availability now (it may have gone since the pass)."""
    plan = segment.voice_plan or {}
    if plan.get("voice") or plan.get("clone"):
        voice = _parse(plan.get("voice"))
        source = plan.get("source") or "preset"
        if not plan.get("clone"):
            return LineVoice(voice or _preset(segment, language), source,
                             notes=[] if voice else ["the plan's voice is unreadable: a preset voice"])
        if clone_ok[0]:
            return LineVoice(voice, source, clone=True, ref=plan.get("ref") or "")
        # Matching a preset to the ref again costs minutes on a CPU (every voice probed): a preview
        # takes the preset the plan names (its matched one when the pass recorded it).
        matched = _parse(plan.get("matched_voice"))
        return LineVoice(matched or voice or _preset(segment, language), "matched_preset",
                         notes=[f"no cloning engine now ({clone_ok[1]}): "
                                + ("the preset matched to the line's ref" if matched else "the line's preset voice")])
    notes = ["no voice plan for this line (spoken before plans were kept)"]
    saved = _parse((segment.character.voice_settings or {}).get("voice")) if segment.character_id else None
    if saved is not None:
        return LineVoice(saved, "saved", notes=notes + ["the character's saved voice"])
    voice = _preset(segment, language)
    return LineVoice(voice, "preset", notes=notes + [f"a preset voice ({voice.key})"])
