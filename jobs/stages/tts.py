"""tts (per pass): every line spoken by its speaker's voice, fitted to its slot, laid on the
episode timeline as one dialogue track; `tts_manifest.json` explains each speaker's voice.

What it does depends on the pass's kind: a dub pass speaks with saved or preset voices, a clone
pass with clones of the speakers' refs, a resynth pass (jobs.stages.resynth) re-speaks only the
lines editors changed. Each spoken line's fitted clip is kept with its voice plan (lineplans)."""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from media.mix import place_clips
from media.placement import arrange_lines, duck_talked_over
from media.threads import workers
from media.timing import Line, fit_lines, settle_clip, time_alone
from media.tts import TtsRequest
from media.tts.fitted import remaining_cap, speak_within
from media.tts.retake import hear_clips, retake_unclear
from review.services import segment_add_flags
from series.models import Character

from voices.memory import remember_voices
from voices.series_refs import close_refs, open_refs, series_ref_ids
from voices.voicing import clone_available, plan_voices

from ..models import PassKind
from . import lineplans
from .base import StageContext, StageResult, fingerprint
from .lineplans import RATE, segments_of
from .qc_heard import listen_ahead, round_trip_model
from .resynth import decision_inputs, resynthesize


WORKERS_ENV = "DUBSITE_TTS_WORKERS"  # lines spoken at once (media.threads.workers: the cores, at most 2)
RETAKE_SEED = 100_003  # a retake's seed: another sample of a seeded engine (XTTS), never a line's own


class TtsStage:
    # 4: lines moved apart where they would talk over each other; 5: retakes, crosstalk not slowed,
    # lines still talked over sped up toward the crosstalk cap
    name, version, per_pass = "tts", 5, True

    def fingerprint(self, ctx: StageContext) -> str:
        all_rows = segments_of(ctx.job)
        rows = [(s.index, s.start, s.end, s.target_text, s.character_id, s.version, s.locked) for s in all_rows]
        voices = dict(Character.objects.filter(series=ctx.job.episode.season.series)
                      .values_list("pk", "voice_settings__voice"))
        cloning = ctx.kind == PassKind.CLONE
        clone = clone_available()[0] if cloning else None
        # a clone pass also depends on the series refs it may fall back to: a new one makes it run again
        series_refs = series_ref_ids(ctx.job.pk) if cloning else None
        extra = {}
        if ctx.kind == PassKind.RESYNTH:  # what a resynth pass decides from: approvals, plans, chosen takes
            extra["resynth"] = decision_inputs(all_rows)
        return ctx.fingerprint_of(self, ["segments", "refs", "extract"], lines=fingerprint({"rows": rows}),
                                  voices=voices, clone=clone, cap=ctx.settings.tts_speed_cap, series_refs=series_refs,
                                  max_shift=ctx.settings.tts_max_shift, retakes=ctx.settings.tts_retakes,
                                  crosstalk_cap=ctx.settings.tts_crosstalk_cap,
                                  kind=str(ctx.kind), **extra)

    def run(self, ctx: StageContext) -> StageResult:
        if ctx.kind == PassKind.RESYNTH:
            return resynthesize(ctx)
        job, n = ctx.job, ctx.pass_number
        cloning = ctx.kind == PassKind.CLONE
        folder = f"tts/pass{n}"
        everything = segments_of(job)
        segments = [s for s in everything if s.target_text.strip()]
        if not segments:  # silence, noise, music only: a clean dub of the background, not an error
            ctx.event(f"tts pass {n}: nothing to dub (no speech was found); the dub is the background alone")
        speakers = list(dict.fromkeys(s.diar_label for s in segments))
        characters = {s.diar_label: (s.character.code if s.character_id else "") for s in segments}
        saved = {s.diar_label: (s.character.voice_settings or {}).get("voice", "") for s in segments if s.character_id}
        refs, copies, opened = {}, [], {}
        if cloning:  # only cloning reads voice data: decrypted copies for this stage only
            refs = {k: {**v, "path": None, "clone_path": None} for k, v in ctx.out("refs")["speakers"].items()}
            with ctx.optional("decrypting refs"):
                opened, copies = open_refs(ctx, segments, ctx.out("refs")["speakers"], series_refs=True)
                refs.update(opened)
        else:
            refs = ctx.out("refs")["speakers"]
        talk = {}
        for seg in segments:
            talk[seg.diar_label] = talk.get(seg.diar_label, 0.0) + seg.end - seg.start
        try:
            plan = plan_voices(speakers=speakers, characters=characters, saved=saved, refs=refs, clone=cloning,
                               language=job.target_language, local=ctx.local, talk_time=talk)
            lines, results, retakes = self._speak(ctx, segments, plan)
        finally:
            close_refs(ctx, copies)  # decrypted copies live only while this stage speaks
        ref_names = {label: lineplans.ref_name(ctx.out("refs")["speakers"], opened, label)
                     for label, choice in plan.items() if choice.clone}
        if ctx.kind == PassKind.DUB:
            with ctx.optional("remembering voices"):
                ids = {s.diar_label: s.character_id for s in segments if s.character_id}
                given = {ids[label]: c.voice.key for label, c in plan.items() if c.source == "preset" and label in ids}
                saved = remember_voices(series=job.episode.season.series, voices=given, job_id=job.pk)
                if saved:
                    ctx.event("voices remembered for the next episodes: " + ", ".join(saved))
        result = self._finish(ctx, n, folder, everything, segments, plan, ref_names, lines, results)
        result.outputs["retakes"] = {"heard": retakes.heard, "unclear": retakes.unclear, "retaken": retakes.retaken,
                                     "improved": retakes.improved}
        return result

    @staticmethod
    def _speak(ctx: StageContext, segments, plan):
        job = ctx.job
        cap = ctx.settings.tts_speed_cap
        alone = time_alone([(seg.start, seg.end) for seg in segments])
        requests = []
        for seg in segments:  # storage reads on this thread; the workers only synthesize
            choice = plan[seg.diar_label]
            requests.append(TtsRequest(seg.target_text, job.target_language, voice=choice.voice, clone=choice.clone,
                                       ref_wav=str(ctx.local(choice.ref)) if choice.ref else None,
                                       slot_seconds=seg.end - seg.start, seed=seg.index))

        def speak(i: int, take: int = 0):
            # an engine that speaks faster more clearly than a stretch does so for a line too long for its slot
            request = requests[i] if not take else replace(requests[i], seed=segments[i].index + RETAKE_SEED * take)
            result = speak_within(request, segments[i].end - segments[i].start, cap=cap)
            return result, settle_clip(result.samples, result.sample_rate, alone[i])

        takes = []
        # lines on parallel workers: most engines are subprocesses (espeak-ng, flite, ffmpeg's
        # rubberband) or onnxruntime (Piper), which run side by side; XTTS takes turns (XTTS_LOCK)
        with ThreadPoolExecutor(workers(WORKERS_ENV), thread_name_prefix="tts") as pool:
            try:
                for i, take in enumerate(pool.map(speak, range(len(segments)))):
                    ctx.advance(i / max(len(segments), 1))  # on this thread: it may write the job's row
                    takes.append(take)
                # a line of a sampling voice that ASR does not understand is spoken again
                takes, report = retake_unclear(
                    [seg.target_text for seg in segments], takes,
                    again=lambda lines, k: list(pool.map(lambda i: speak(i, k), lines)),
                    hear=hear_clips(model=round_trip_model(job.target_language, ctx.settings),
                                    language=job.target_language),
                    rounds=ctx.settings.tts_retakes)
            finally:
                pool.shutdown(cancel_futures=True)  # a failure or a cancel stops the lines not begun
        if report.unclear:
            ctx.event(f"tts pass {ctx.pass_number}: {report.summary()}")
        lines = [Line(settled, result.sample_rate, seg.start, seg.end, cap=remaining_cap(cap, result))
                 for seg, (result, settled) in zip(segments, takes)]
        return lines, [result for result, _ in takes], report

    def _finish(self, ctx: StageContext, n: int, folder: str, everything, segments, plan, ref_names, lines,
                results) -> StageResult:
        duration = ctx.out("extract")["duration"]
        cap = ctx.settings.tts_speed_cap
        fitted = fit_lines(lines, cap=cap, total_seconds=duration)
        # a line still too long at the cap, or crosstalk in the source: moved apart within the bound
        # and a line still talked over then is spoken a little faster (up to the crosstalk cap)
        speeds = [res.native_speed * len(res.samples) / max(len(samples), 1) for (samples, _), res in zip(fitted, results)]
        sounding, where = arrange_lines([(samples, res.sample_rate) for (samples, _), res in zip(fitted, results)],
                                        [seg.start for seg in segments], speeds, max_shift=ctx.settings.tts_max_shift,
                                        total_seconds=duration, crosstalk_cap=ctx.settings.tts_crosstalk_cap)
        # what still sounds together: the shorter line lowered there (the stored clips stay as spoken)
        voiced = duck_talked_over(sounding, where)
        clips = [(at.start, samples, res.sample_rate) for at, samples, res in zip(where, voiced, results)]
        plans: dict[int, dict] = {seg.pk: {} for seg in everything}  # a line no longer spoken has no clip
        for seg, (samples, _), res, at in zip(segments, sounding, results, where):
            choice = plan[seg.diar_label]
            ref = ref_names.get(seg.diar_label, "")
            key = lineplans.clip_key(text=seg.target_text, voice=choice.voice.key, source=choice.source, ref=ref,
                                     clone=choice.clone, start=seg.start, end=seg.end, cap=cap)
            clip = lineplans.store_clip(ctx.workspace, lineplans.clip_rel(n, seg.index, key), samples, res.sample_rate)
            plans[seg.pk] = lineplans.make_plan(
                character=choice.character, voice=choice.voice.key, source=choice.source, ref=ref, clone=choice.clone,
                engine=res.provider, speed=res.native_speed * len(res.samples) / max(len(samples), 1),
                clip=clip, key=key, pass_number=n,
                seconds=len(samples) / res.sample_rate, at=at.start)
        plans_rel, plans_stored = lineplans.write_plans(ctx.workspace, n, plans)
        placed = place_clips(clips, duration, ctx.workspace.path(f"{folder}/dialogue.wav"), sample_rate=RATE)
        overruns = {seg.pk: ["overrun"] for seg, (_, fit) in zip(segments, fitted) if fit.flagged}
        segment_add_flags(segment_ids_flags={s.pk: overruns.get(s.pk, []) for s in segments}, drop={"overrun"})
        manifest = self._manifest(ctx.kind, n, plan, segments, results, fitted, placed, where)
        ctx.workspace.path(f"{folder}/tts_manifest.json").write_text(json.dumps(manifest, indent=2))
        stored = {rel: ctx.workspace.publish(rel) for rel in (f"{folder}/dialogue.wav", f"{folder}/tts_manifest.json")}
        for label, info in manifest["speakers"].items():
            sim = f", similarity {info['similarity']:.2f}" if info["similarity"] is not None else ""
            ctx.event(f"tts pass {n}: {label} ({info['character']}) source={info['source']} voice={info['voice']}"
                      f" providers={info['providers']}{sim}" + (f"; {'; '.join(info['notes'])}" if info["notes"] else ""))
        moved = [at.shift for at in where if abs(at.shift) >= 0.001]
        if moved:
            ctx.event(f"tts pass {n}: {len(moved)} line(s) moved so that lines do not talk over each other "
                      f"(at most {max(abs(m) for m in moved):.2f} s from the source line, "
                      f"{sum(m < 0 for m in moved)} earlier)")
        if overruns:
            ctx.event(f"tts pass {n}: {len(overruns)} line(s) overrun their slot even at "
                      f"{ctx.settings.tts_speed_cap:.2f}x; flagged for shortening in review")
        providers = Counter(r.provider for r in results)
        stored[plans_rel] = plans_stored
        listen_ahead(ctx.workspace, n, [plans[s.pk]["clip"] for s in segments], language=ctx.job.target_language,
                     settings=ctx.settings)  # QC's round trip, while mix and mux run
        return StageResult(outputs={"dialogue": f"{folder}/dialogue.wav", "manifest": f"{folder}/tts_manifest.json",
                                    "voice_plans": plans_rel, "clips": len(segments),
                                    "lines": len(segments), "overruns": len(overruns), "stored": stored,
                                    "speakers": {k: {"source": v["source"], "clone_succeeded": v["clone_succeeded"]}
                                                 for k, v in manifest["speakers"].items()}},
                           engines={"tts": dict(providers)})

    @staticmethod
    def _manifest(kind, n, plan, segments, results, fitted, placed, where) -> dict:
        per: dict[str, dict] = defaultdict(lambda: {"providers": Counter(), "reasons": [], "attempted": 0, "cloned": 0})
        for seg, res in zip(segments, results):
            p = per[seg.diar_label]
            p["providers"][res.provider] += 1
            p["attempted"] += int(res.clone_attempted)
            p["cloned"] += int(res.clone_succeeded)
            p["reasons"] += [r for r in res.fallback_reasons if r not in p["reasons"]]
        speakers = {}
        for label, choice in plan.items():
            p = per[label]
            speakers[label] = {
                "character": choice.character, "source": choice.source, "voice": choice.voice.key,
                "ref": choice.ref, "similarity": choice.similarity, "notes": choice.notes,
                "clone_attempted": p["attempted"] > 0, "clone_succeeded": p["attempted"] > 0 and p["cloned"] == p["attempted"],
                "providers": dict(p["providers"]), "fallback_reasons": p["reasons"],
            }
        lines = [{"index": seg.index, "speaker": seg.diar_label, **res.manifest(), "fit": fit.as_dict(),
                  "at": round(at.start, 3), "shift": round(at.shift, 3)}
                 for seg, res, (_, fit), at in zip(segments, results, fitted, where)]
        placement = {k: v for k, v in placed.as_dict().items() if k != "path"}  # public manifest: no paths
        return {"pass": n, "kind": str(kind), "speakers": speakers, "lines": lines, "placement": placement}
