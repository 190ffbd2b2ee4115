"""Which voice speaks for each speaker, per pass.

Dub pass (no clone): the character's saved voice, else a distinct preset per speaker: the palette's
intelligible voices (media.tts.palette: Piper, flite, formant-shifted copies) to the most
talkative speakers first, then espeak variants, chosen with a gender hint from the speaker's
median pitch.
Clone pass: the job's extracted ref, else the character's series ref (voices app) → XTTS
cloning when its weights are installed; without a cloning engine, the preset voice whose
embedding is nearest that ref (`matched_preset`); without any ref, the dub pass's voice.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from media.audio import load
from media.prosody import gender_hint
from media.tts import VoiceSpec, assign_voices
from media.tts.palette import assign_palette
from media.tts.xtts import XttsCloneEngine
from media.voice_match import match_voices

__all__ = ["VoiceChoice", "plan_voices", "clone_available"]


@dataclass
class VoiceChoice:
    speaker: str
    character: str
    voice: VoiceSpec
    source: str  # preset | saved | extracted_ref | series_ref | matched_preset
    ref: str | None = None  # workspace-relative clone ref when cloning
    clone: bool = False
    similarity: float | None = None
    notes: list[str] = field(default_factory=list)


def clone_available() -> tuple[bool, str]:
    return XttsCloneEngine().availability()


def _preset_voices(speakers: list[str], refs: dict, saved: dict[str, str], language: str,
                   talk_time: dict[str, float]) -> dict[str, tuple[VoiceSpec, str]]:
    genders = {s: gender_hint((refs.get(s) or {}).get("f0_hz")) for s in speakers}
    # palette voices (one each) to the speakers who talk most; espeak variants for the rest
    clear = assign_palette(sorted(speakers, key=lambda s: -talk_time.get(s, 0.0)), genders, language)
    rest = [s for s in speakers if s not in clear]
    assigned = {**assign_voices(rest, genders, language=language), **clear}
    out = {}
    for s in speakers:
        if saved.get(s):
            try:
                out[s] = (VoiceSpec.parse(saved[s]), "saved")
                continue
            except ValueError:
                pass  # a malformed saved voice falls back to the assigned preset
        out[s] = (assigned[s], "preset")
    return out


def plan_voices(*, speakers: list[str], characters: dict[str, str], saved: dict[str, str], refs: dict,
                clone: bool, language: str, local, talk_time: dict[str, float] | None = None
                ) -> dict[str, VoiceChoice]:
    """`speakers` in order of first appearance; `refs` from the refs stage; `local(rel)` → path;
    `clone`: voice each speaker from their ref (a clone pass); `talk_time` seconds per speaker
    (the most talkative get the best preset voices)."""
    presets = _preset_voices(speakers, refs, saved, language, talk_time or {})
    plan: dict[str, VoiceChoice] = {}
    can_clone, why_not = clone_available()
    to_match: dict[str, tuple] = {}
    for s in speakers:
        voice, source = presets[s]
        choice = VoiceChoice(s, characters.get(s, ""), voice, source)
        ref = refs.get(s) or {}
        if clone:
            series_ref = bool(ref.get("series_ref"))
            if series_ref:
                choice.notes.append(f"no ref in this job ({ref.get('job_reason') or 'none extracted'}); "
                                    f"using the character's series ref ({ref['seconds']:.1f} s)")
            if not ref.get("clone_path"):
                choice.notes.append(f"no ref ({ref.get('reason') or 'none extracted'}): keeping the dub pass's voice")
            elif can_clone:
                choice.source = "series_ref" if series_ref else "extracted_ref"
                choice.ref, choice.clone = ref["clone_path"], True
            else:
                audio = load(local(ref["path"]), mono=True, sample_rate=16000)
                to_match[s] = (audio.samples, audio.sample_rate)
                choice.notes.append(f"no cloning engine ({why_not})")
        plan[s] = choice
    if to_match:
        # one matching for all of them: matched one by one, two characters could land on the
        # same nearest preset; voices other speakers keep are left to them
        taken = [c.voice.key for s, c in plan.items() if s not in to_match and not c.clone]  # match_voices finds their base
        matches = match_voices(to_match, language=language, taken=taken)
        for s, match in matches.items():
            choice = plan[s]
            choice.voice, choice.source, choice.similarity = match.voice, "matched_preset", match.similarity
            choice.notes[-1] += f"; nearest free preset by {match.model_id}"
    return plan
