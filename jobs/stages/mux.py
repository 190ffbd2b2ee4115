"""mux (per pass): MKV and MP4 with the dub as default audio, the original as second track,
source and target subtitles; then this pass's outputs become the job's outputs in one update,
in the same transaction as the lines' new voice plans (so they always describe the dub served)."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.db import transaction

from media import subtitles
from media.mux import SubtitleTrack, encode_aac, mux
from review.models import Segment

from ..artifacts import source_path
from . import lineplans
from .base import StageContext, StageResult, fingerprint


class MuxStage:
    name, version, per_pass = "mux", 1, True

    def fingerprint(self, ctx: StageContext) -> str:
        texts = list(Segment.objects.filter(job_id=ctx.job.pk).order_by("index")
                     .values_list("start", "end", "source_text", "target_text"))
        return ctx.fingerprint_of(self, ["mix", "extract"], subs=fingerprint({"t": texts}))

    def run(self, ctx: StageContext) -> StageResult:
        job, n = ctx.job, ctx.pass_number
        series = job.episode.season.series
        folder = f"pass{n}"
        rows = list(Segment.objects.filter(job_id=job.pk).order_by("index"))
        subs, tracks = {}, []
        for kind, lang, attr in (("target", job.target_language, "target_text"),
                                 ("source", series.source_language, "source_text")):
            cues = [(s.start, s.end, getattr(s, attr)) for s in rows if getattr(s, attr).strip()]
            for ext in ("srt", "vtt"):
                rel = f"{folder}/subtitles.{kind}.{lang}.{ext}"
                subtitles.write(cues, ctx.workspace.path(rel))
                subs[f"{kind}_{ext}"] = rel
            if cues:  # a scene without speech has nothing to subtitle; an empty track is invalid
                tracks.append(SubtitleTrack(ctx.local(subs[f"{kind}_srt"]), lang, title=f"{kind} ({lang})"))
        src = source_path(job.episode, ctx.workspace)
        dub = ctx.local(ctx.out("mix")["mix"])
        results = {}
        with tempfile.TemporaryDirectory(prefix=".aac-", dir=ctx.workspace.path(folder)) as tmp:
            aac = encode_aac(dub, Path(tmp) / "dub.m4a")  # once, copied into both containers
            for ext in ("mkv", "mp4"):
                rel = f"{folder}/dub.{ext}"
                results[ext] = mux(ctx.workspace.path(rel), source=src, dub_audio=aac, dub_language=job.target_language,
                                   original_language=series.source_language, subtitles=tracks,
                                   dub_title=f"Dub ({job.target_language})", original_title="Original",
                                   title=str(job.episode))
        qc = {"pass": n, "loudness": ctx.out("mix")["loudness"], "overruns": ctx.out("tts")["overruns"],
              "separation_degraded": ctx.out("separate")["degraded"],
              "needs_translation": sum(1 for s in rows if "needs_translation" in s.flags),
              "lines": len(rows), "nothing_to_dub": not any(s.target_text.strip() for s in rows),
              "source_duration": ctx.out("extract")["duration"],
              "dub_duration": {k: round(r.duration, 3) for k, r in results.items()}}
        ctx.workspace.path(f"{folder}/qc.json").write_text(json.dumps(qc, indent=2))
        rels = [f"{folder}/dub.mkv", f"{folder}/dub.mp4", f"{folder}/qc.json", *subs.values()]
        stored = {rel: ctx.workspace.publish(rel) for rel in rels}
        outputs = {"mkv": f"{folder}/dub.mkv", "mp4": f"{folder}/dub.mp4", "qc": f"{folder}/qc.json",
                   "mix": ctx.out("mix")["mix"], "tts_manifest": ctx.out("tts")["manifest"], **subs,
                   "diarization": "diarization.json", "refs_manifest": "analysis/voice_refs/manifest.json",
                   "translated": "translated.json", "pass": n}
        with transaction.atomic():
            planned = lineplans.apply_plans(ctx.workspace, ctx.out("tts").get("voice_plans"))
            type(job).objects.filter(pk=job.pk).update(outputs=outputs)  # the swap: one row update
        job.outputs = outputs
        ctx.event(f"pass {n} outputs in place: dub.mkv, dub.mp4 ({results['mkv'].duration:.2f} s), subtitles"
                  + (f"; voice plans of {planned} line(s) written" if planned else ""))
        return StageResult(outputs={**outputs, "stored": stored}, engines={"mux": "ffmpeg"})
