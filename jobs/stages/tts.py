"""tts (per pass): every line spoken by its speaker's voice, fitted to its slot, laid on the
episode timeline as one dialogue track; `tts_manifest.json` explains each speaker's voice."""
from __future__ import annotations

import json
from collections import Counter, defaultdict

from media.mix import place_clips
from media.timing import Line, change_tempo, fit_lines
from media.tts import TtsRequest, synthesize
from review.models import Segment
from review.services import segment_add_flags
from series.models import Character

from voices.memory import remember_voices
from voices.series_refs import close_refs, open_refs, series_ref_ids
from voices.voicing import clone_available, plan_voices

from .base import StageContext, StageResult, fingerprint

RATE = 48000
# A line much shorter than its slot (slow, pausing delivery in the source) is slowed toward the
# slot, to no less than this speed: past it, stretched speech starts to sound drawn out.
MIN_SPEED = 0.75


def _settle(samples, sample_rate: int, slot: float):
    """Slow a clearly short clip toward its slot (pitch kept) so the dub follows the original's pace."""
    seconds = len(samples) / float(sample_rate)
    if slot <= 0 or seconds >= 0.9 * slot:
        return samples
    return change_tempo(samples, sample_rate, max(seconds / slot, MIN_SPEED))


def _segments(job):
    return list(Segment.objects.filter(job_id=job.pk).select_related("character").order_by("index"))


class TtsStage:
    name, version, per_pass = "tts", 1, True

    def fingerprint(self, ctx: StageContext) -> str:
        rows = [(s.index, s.start, s.end, s.target_text, s.character_id, s.version, s.locked) for s in _segments(ctx.job)]
        voices = dict(Character.objects.filter(series=ctx.job.episode.season.series)
                      .values_list("pk", "voice_settings__voice"))
        clone = clone_available()[0] if ctx.pass_number >= 2 else None
        # pass 2 also depends on the series refs it may fall back to: a new one makes it run again
        series_refs = series_ref_ids(ctx.job.pk) if ctx.pass_number >= 2 else None
        return ctx.fingerprint_of(self, ["segments", "refs", "extract"], lines=fingerprint({"rows": rows}),
                                  voices=voices, clone=clone, cap=ctx.settings.tts_speed_cap, series_refs=series_refs)

    def run(self, ctx: StageContext) -> StageResult:
        job, n = ctx.job, ctx.pass_number
        folder = f"tts/pass{n}"
        segments = [s for s in _segments(job) if s.target_text.strip()]
        if not segments:  # silence, noise, music only: a clean dub of the background, not an error
            ctx.event(f"tts pass {n}: nothing to dub (no speech was found); the dub is the background alone")
        speakers = list(dict.fromkeys(s.diar_label for s in segments))
        characters = {s.diar_label: (s.character.code if s.character_id else "") for s in segments}
        saved = {s.diar_label: (s.character.voice_settings or {}).get("voice", "") for s in segments if s.character_id}
        refs, copies = {}, []
        if n >= 2:  # only cloning reads voice data: decrypted copies for this stage only
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
            plan = plan_voices(speakers=speakers, characters=characters, saved=saved, refs=refs, pass_number=n,
                               language=job.target_language, local=ctx.local, talk_time=talk)
            lines, results = self._speak(ctx, segments, plan)
        finally:
            close_refs(ctx, copies)  # decrypted copies live only while this stage speaks
        if n == 1:
            with ctx.optional("remembering voices"):
                ids = {s.diar_label: s.character_id for s in segments if s.character_id}
                given = {ids[label]: c.voice.key for label, c in plan.items() if c.source == "preset" and label in ids}
                saved = remember_voices(series=job.episode.season.series, voices=given, job_id=job.pk)
                if saved:
                    ctx.event("voices remembered for the next episodes: " + ", ".join(saved))
        return self._finish(ctx, n, folder, segments, plan, lines, results)

    @staticmethod
    def _speak(ctx: StageContext, segments, plan):
        job = ctx.job
        lines, results = [], []
        for i, seg in enumerate(segments):
            ctx.advance(i / max(len(segments), 1))
            choice = plan[seg.diar_label]
            request = TtsRequest(seg.target_text, job.target_language, voice=choice.voice, clone=choice.clone,
                                 ref_wav=str(ctx.local(choice.ref)) if choice.ref else None,
                                 slot_seconds=seg.end - seg.start, seed=seg.index)
            result = synthesize(request)
            results.append(result)
            lines.append(Line(_settle(result.samples, result.sample_rate, seg.end - seg.start), result.sample_rate,
                              seg.start, seg.end))
        return lines, results

    def _finish(self, ctx: StageContext, n: int, folder: str, segments, plan, lines, results) -> StageResult:
        duration = ctx.out("extract")["duration"]
        fitted = fit_lines(lines, cap=ctx.settings.tts_speed_cap, total_seconds=duration)
        clips = [(seg.start, samples, res.sample_rate) for seg, (samples, _), res in zip(segments, fitted, results)]
        placed = place_clips(clips, duration, ctx.workspace.path(f"{folder}/dialogue.wav"), sample_rate=RATE)
        overruns = {seg.pk: ["overrun"] for seg, (_, fit) in zip(segments, fitted) if fit.flagged}
        segment_add_flags(segment_ids_flags={s.pk: overruns.get(s.pk, []) for s in segments}, drop={"overrun"})
        manifest = self._manifest(n, plan, segments, results, fitted, placed)
        ctx.workspace.path(f"{folder}/tts_manifest.json").write_text(json.dumps(manifest, indent=2))
        stored = {rel: ctx.workspace.publish(rel) for rel in (f"{folder}/dialogue.wav", f"{folder}/tts_manifest.json")}
        for label, info in manifest["speakers"].items():
            sim = f", similarity {info['similarity']:.2f}" if info["similarity"] is not None else ""
            ctx.event(f"tts pass {n}: {label} ({info['character']}) source={info['source']} voice={info['voice']}"
                      f" providers={info['providers']}{sim}" + (f"; {'; '.join(info['notes'])}" if info["notes"] else ""))
        if overruns:
            ctx.event(f"tts pass {n}: {len(overruns)} line(s) overrun their slot even at "
                      f"{ctx.settings.tts_speed_cap:.2f}x; flagged for shortening in review")
        providers = Counter(r.provider for r in results)
        return StageResult(outputs={"dialogue": f"{folder}/dialogue.wav", "manifest": f"{folder}/tts_manifest.json",
                                    "lines": len(segments), "overruns": len(overruns), "stored": stored,
                                    "speakers": {k: {"source": v["source"], "clone_succeeded": v["clone_succeeded"]}
                                                 for k, v in manifest["speakers"].items()}},
                           engines={"tts": dict(providers)})

    @staticmethod
    def _manifest(n, plan, segments, results, fitted, placed) -> dict:
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
        lines = [{"index": seg.index, "speaker": seg.diar_label, **res.manifest(), "fit": fit.as_dict()}
                 for seg, res, (_, fit) in zip(segments, results, fitted)]
        placement = {k: v for k, v in placed.as_dict().items() if k != "path"}  # public manifest: no paths
        return {"pass": n, "speakers": speakers, "lines": lines, "placement": placement}
