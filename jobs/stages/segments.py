"""segments: the translated lines become review.Segment rows (locked rows are never overwritten)."""
from __future__ import annotations

import json

from review.services import segments_from_pipeline

from .base import StageContext, StageResult


class SegmentsStage:
    name, version, per_pass = "segments", 1, False

    def fingerprint(self, ctx: StageContext) -> str:
        return ctx.fingerprint_of(self, ["translate", "identify"])

    def run(self, ctx: StageContext) -> StageResult:
        lines = json.loads(ctx.local(ctx.out("translate")["translated"]).read_text())["lines"]
        characters = {label: v["character_id"] for label, v in ctx.out("identify")["speakers"].items()}
        counts = segments_from_pipeline(episode=ctx.job.episode, job_id=ctx.job.pk, lines=lines, characters=characters)
        ctx.event("segments: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
        return StageResult(outputs={"count": len(lines), **counts}, engines={})
