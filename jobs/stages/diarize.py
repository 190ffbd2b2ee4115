"""diarize: who speaks when, on the dialogue stem when separation succeeded, else the full mix."""
from __future__ import annotations

import json

from media.diarization import diarize, write_rttm

from .base import StageContext, StageResult
from .separate import analysis_input


class DiarizeStage:
    name, version, per_pass = "diarize", 1, False

    def fingerprint(self, ctx: StageContext) -> str:
        return ctx.fingerprint_of(self, ["extract", "separate"], preference=ctx.settings.diarization)

    def run(self, ctx: StageContext) -> StageResult:
        rel, label = analysis_input(ctx)
        ctx.event(f"diarize: input={label}")
        result = diarize(ctx.local(rel), progress=ctx.advance)  # the registry's order; a missing engine falls through with its reason
        public = result.as_dict()
        ctx.workspace.path("diarization.json").write_text(json.dumps(public, indent=2))
        work = {**public, "input": str(ctx.local(rel)), "input_kind": label}
        ctx.workspace.path("work/diarization.work.json").write_text(json.dumps(work, indent=2))
        write_rttm(result.turns, ctx.workspace.path("diarization.rttm"), uri=f"job{ctx.job.pk}")
        stored = {rel: ctx.workspace.publish(rel)
                  for rel in ("diarization.json", "work/diarization.work.json", "diarization.rttm")}
        seconds = {k: round(v, 1) for k, v in result.speaker_seconds().items()}
        ctx.event(f"diarization: {result.num_speakers} speaker(s) by {result.engine}: "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()), data={"notes": result.notes})
        return StageResult(
            outputs={"turns": public["turns"], "num_speakers": result.num_speakers, "engine": result.engine,
                     "input": label, "speaker_seconds": seconds, "stored": stored},
            engines={"diarization": result.engine, "notes": result.notes},
        )
