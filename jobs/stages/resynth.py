"""tts in a resynth pass ("Synthesize approved"): the dub is rebuilt from the lines' current text
and the voice plans earlier passes stored; ASR and translation never run. For each spoken line:

- a chosen take whose text is the line's text → the take's clip (the editor chose it);
- an approved or locked line whose clip key (its text, voice and timing now) differs from the
  stored one, or any line without a usable stored clip → spoken again with its voice plan;
- anything else → the stored clip, reused as it is (an unapproved edit waits for approval).

Only the re-spoken lines get new clips and plans; mix and mux then run as in any pass, and mux
swaps the outputs (and writes the new plans) in one transaction.
"""
from __future__ import annotations

import json
from collections import Counter

from media.audio import load
from media.mix import place_clips
from media.placement import duck_talked_over, place_lines
from media.timing import time_alone
from media.tts import TtsRequest, VoiceSpec
from media.tts.fitted import synthesize_fitted
from review.models import Take
from review.services import segment_add_flags
from voices.series_refs import close_refs, open_refs
from voices.voicing import plan_voices

from . import lineplans
from .base import StageContext, StageResult, fingerprint
from .lineplans import RATE, segments_of
from .qc_heard import listen_ahead

__all__ = ["resynthesize", "decide", "current_key", "decision_inputs", "TAKE", "SPEAK", "REUSE"]

TAKE, SPEAK, REUSE = "take", "resynthesized", "reused"
# voices that follow the character's saved voice (an editor may change it); clones and
# voice-matched presets keep the voice their plan names
_FOLLOWS_CHARACTER = ("preset", "saved")


def current_voice(seg, plan: dict) -> tuple[str, str]:
    """(voice key, source) the line would be spoken with now."""
    voice, source = plan.get("voice", ""), plan.get("source", "")
    if source in _FOLLOWS_CHARACTER and seg.character_id:
        saved = (seg.character.voice_settings or {}).get("voice", "")
        if saved and saved != voice:
            try:
                VoiceSpec.parse(saved)
                return saved, "saved"
            except ValueError:
                pass  # a malformed saved voice: the plan's voice stays
    return voice, source


def current_key(seg, plan: dict, cap: float) -> str:
    voice, source = current_voice(seg, plan)
    return lineplans.clip_key(text=seg.target_text, voice=voice, source=source, ref=plan.get("ref", ""),
                              clone=plan.get("clone", False), start=seg.start, end=seg.end, cap=cap)


def decide(seg, take, cap: float) -> tuple[str, str]:
    """What the pass does with one spoken line, and why."""
    plan = seg.voice_plan or {}
    if take is not None and take.text == seg.target_text:
        return TAKE, f"chosen take {take.number}"
    if not plan.get("clip") or not plan.get("voice"):
        return SPEAK, "no stored clip or voice plan"
    if (seg.approved or seg.locked) and current_key(seg, plan, cap) != plan.get("clip_key"):
        return SPEAK, "text, voice or timing changed"
    return REUSE, ""


def _chosen_takes(segment_ids) -> dict[int, Take]:
    return {t.segment_id: t for t in Take.objects.filter(segment_id__in=list(segment_ids), chosen=True)}


def decision_inputs(rows) -> str:
    """Fingerprint of what the decisions read beyond text and timing (approvals, plans, takes)."""
    takes = _chosen_takes(s.pk for s in rows)
    return fingerprint({"rows": [(s.pk, s.approved, s.locked, (s.voice_plan or {}).get("clip_key"),
                                  (takes[s.pk].number, takes[s.pk].text) if s.pk in takes else None) for s in rows]})


def _gaps(segments, duration: float) -> dict[int, float]:
    """Silence after each spoken line up to the next one's start (as the full pass fits them)."""
    order = sorted(segments, key=lambda s: s.start)
    return {s.pk: max((order[i + 1].start if i + 1 < len(order) else duration) - s.end, 0.0)
            for i, s in enumerate(order)}


def _samples(clip: tuple) -> tuple:
    """(samples, rate) of a (start, path) or (start, samples, rate) clip: placement needs every length."""
    if len(clip) > 2:
        return clip[1], clip[2]
    audio = load(clip[1], mono=True)
    return audio.samples, audio.sample_rate


def _fallback_plans(ctx: StageContext, segments) -> dict[str, dict]:
    """Voices for lines with no stored plan (lines from before plans were kept): the character's
    saved voice, else a preset, as a dub pass would choose."""
    if not segments:
        return {}
    speakers = list(dict.fromkeys(s.diar_label for s in segments))
    characters = {s.diar_label: (s.character.code if s.character_id else "") for s in segments}
    saved = {s.diar_label: (s.character.voice_settings or {}).get("voice", "") for s in segments if s.character_id}
    choices = plan_voices(speakers=speakers, characters=characters, saved=saved, refs=ctx.out("refs")["speakers"],
                          clone=False, language=ctx.job.target_language, local=ctx.local)
    ctx.event(f"{len(segments)} line(s) had no stored voice plan; spoken with the character's saved voice or a "
              f"preset: " + ", ".join(f"{k} → {c.voice.key} ({c.source})" for k, c in choices.items()))
    return {label: {"character": c.character, "voice": c.voice.key, "source": c.source, "ref": "", "clone": False}
            for label, c in choices.items()}


def _speak(ctx: StageContext, seg, plan: dict, opened: dict, gap: float, cap: float, alone: float):
    """One line spoken again with its plan and fitted to its slot; returns (clip, new plan, fit, result)."""
    voice_key, source = current_voice(seg, plan)
    clone = bool(plan.get("clone")) and bool((opened.get(seg.diar_label) or {}).get("clone_path"))
    if plan.get("clone") and not clone:
        ctx.event(f"line {seg.index}: its clone ref is not available now; spoken with {voice_key} instead")
    ref = plan.get("ref", "") if clone else ""
    slot = seg.end - seg.start
    request = TtsRequest(seg.target_text, ctx.job.target_language, voice=VoiceSpec.parse(voice_key), clone=clone,
                         ref_wav=str(ctx.local(opened[seg.diar_label]["clone_path"])) if clone else None,
                         slot_seconds=slot, seed=seg.index)
    result = synthesize_fitted(request, slot=slot, gap_after=gap, cap=cap, index=seg.index, alone=alone)
    fitted, fit = result.samples, result.fit
    key = lineplans.clip_key(text=seg.target_text, voice=voice_key, source=source, ref=ref, clone=clone,
                             start=seg.start, end=seg.end, cap=cap)
    clip = lineplans.store_clip(ctx.workspace, lineplans.clip_rel(ctx.pass_number, seg.index, key), fitted,
                                result.sample_rate)
    new_plan = lineplans.make_plan(character=plan.get("character", ""), voice=voice_key, source=source, ref=ref,
                                   clone=clone, engine=result.provider,
                                   speed=result.speed, clip=clip, key=key,
                                   pass_number=ctx.pass_number, seconds=result.duration)
    return (seg.start, fitted, result.sample_rate), new_plan, fit, result


def resynthesize(ctx: StageContext) -> StageResult:
    job, n = ctx.job, ctx.pass_number
    folder, cap = f"tts/pass{n}", ctx.settings.tts_speed_cap
    duration = ctx.out("extract")["duration"]
    everything = segments_of(job)
    segments = [s for s in everything if s.target_text.strip()]
    takes = _chosen_takes(s.pk for s in segments)
    decisions = {s.pk: decide(s, takes.get(s.pk), cap) for s in segments}
    clips: dict[int, tuple] = {}
    for seg in segments:  # stored clips first: one that cannot be read is spoken again
        action, _ = decisions[seg.pk]
        if action == SPEAK:
            continue
        name = takes[seg.pk].audio if action == TAKE else seg.voice_plan["clip"]
        try:
            clips[seg.pk] = (seg.start, str(lineplans.fetch_clip(ctx.workspace, name)))
        except (FileNotFoundError, OSError) as exc:
            decisions[seg.pk] = (SPEAK, f"stored clip unreadable ({exc.__class__.__name__})")
    to_speak = [s for s in segments if decisions[s.pk][0] == SPEAK]
    fallback = _fallback_plans(ctx, [s for s in to_speak if not (s.voice_plan or {}).get("voice")])
    plans_of = {s.pk: (s.voice_plan if (s.voice_plan or {}).get("voice") else fallback[s.diar_label])
                for s in to_speak}
    cloning = [s for s in to_speak if plans_of[s.pk].get("clone")]
    opened, copies = {}, []
    if cloning:  # decrypted copies only while the lines that clone are spoken
        with ctx.optional("decrypting refs"):
            opened, copies = open_refs(ctx, cloning, ctx.out("refs")["speakers"], series_refs=True)
    gaps = _gaps(segments, duration)
    alone = dict(zip((s.pk for s in segments), time_alone([(s.start, s.end) for s in segments])))
    new_plans: dict[int, dict] = {s.pk: {} for s in everything if not s.target_text.strip() and s.voice_plan}
    fits, results = {}, []
    try:
        for i, seg in enumerate(to_speak):
            ctx.advance(i / max(len(to_speak), 1))
            clips[seg.pk], new_plans[seg.pk], fits[seg.pk], result = _speak(ctx, seg, plans_of[seg.pk], opened,
                                                                            gaps[seg.pk], cap, alone[seg.pk])
            results.append(result)
    finally:
        close_refs(ctx, copies)
    # placed as a full pass places them: lines that would talk over each other moved apart (media.placement)
    voiced = [_samples(clips[s.pk]) for s in segments]
    where = place_lines([(s.start, len(samples) / rate) for s, (samples, rate) in zip(segments, voiced)],
                        max_shift=ctx.settings.tts_max_shift, total_seconds=duration)
    for seg, at in zip(segments, where):
        plan = new_plans.get(seg.pk) or seg.voice_plan
        if plan and plan.get("at") != at.start:  # a reused clip whose neighbours moved: where it sits now
            new_plans[seg.pk] = {**plan, "at": at.start}
    ducked = duck_talked_over(voiced, where)
    placed = place_clips([(at.start, samples, rate) for at, samples, (_, rate) in zip(where, ducked, voiced)], duration,
                         ctx.workspace.path(f"{folder}/dialogue.wav"), sample_rate=RATE)
    segment_add_flags(segment_ids_flags={pk: ["overrun"] if fit.flagged else [] for pk, fit in fits.items()},
                      drop={"overrun"})
    overruns = sum(1 for s in segments if (fits[s.pk].flagged if s.pk in fits else "overrun" in s.flags))
    counts = Counter(action for action, _ in decisions.values())
    counts = {"resynthesized": counts[SPEAK], "reused": counts[REUSE], "takes": counts[TAKE]}
    manifest = {"pass": n, "kind": "resynth", "counts": counts,
                "lines": [{"index": s.index, "speaker": s.diar_label, "action": decisions[s.pk][0],
                           "reason": decisions[s.pk][1],
                           "clip": new_plans[s.pk]["clip"] if s.pk in fits else
                           (takes[s.pk].audio if decisions[s.pk][0] == TAKE else s.voice_plan.get("clip")),
                           **({"fit": fits[s.pk].as_dict(), "provider": new_plans[s.pk]["engine"]}
                              if s.pk in fits else {})}
                          for s in segments],
                "placement": {k: v for k, v in placed.as_dict().items() if k != "path"}}
    ctx.workspace.path(f"{folder}/tts_manifest.json").write_text(json.dumps(manifest, indent=2))
    stored = {rel: ctx.workspace.publish(rel) for rel in (f"{folder}/dialogue.wav", f"{folder}/tts_manifest.json")}
    plans_rel, stored_plans = lineplans.write_plans(ctx.workspace, n, new_plans)
    stored[plans_rel] = stored_plans
    spoken = ", ".join(f"{s.index} ({decisions[s.pk][1]})" for s in to_speak)
    ctx.event(f"tts pass {n} (synthesize approved): {counts['resynthesized']} line(s) re-synthesized, "
              f"{counts['reused']} reused, {counts['takes']} from chosen takes"
              + (f"; re-synthesized: {spoken}" if spoken else "; nothing changed, the dub is rebuilt from its clips"),
              data=counts)
    providers = Counter(r.provider for r in results)
    listen_ahead(ctx.workspace, n, [line["clip"] for line in manifest["lines"] if line.get("clip")],
                 language=job.target_language, settings=ctx.settings)  # QC's round trip, while mix and mux run
    return StageResult(outputs={"dialogue": f"{folder}/dialogue.wav", "manifest": f"{folder}/tts_manifest.json",
                                "voice_plans": plans_rel, "lines": len(segments), "overruns": overruns,
                                "stored": stored, **counts},
                       engines={"tts": dict(providers), "reused": counts["reused"], "takes": counts["takes"]})
