"""segments: the translated lines become review.Segment rows, matched to the existing lines by time
overlap so that locked and edited lines survive a rerun, or a new job of the episode in the same language."""
from __future__ import annotations

import json

from jobs.models import Job
from review.models import Segment
from review.services import segments_from_pipeline

from .base import StageContext, StageResult


def previous_job_id(job: Job) -> int | None:
    """The newest other job of the episode in the same target language that has lines: where a new
    job's lines are carried from (review holds job ids only, so the stage finds it)."""
    with_lines = Segment.objects.filter(episode_id=job.episode_id).exclude(job_id=job.pk).values("job_id")
    return (Job.objects.filter(episode_id=job.episode_id, target_language=job.target_language, pk__in=with_lines)
            .exclude(pk=job.pk).order_by("-created", "-pk").values_list("pk", flat=True).first())


def describe(counts: dict) -> str:
    """'2 kept locked, 1 kept edited (1 flagged needs_retranslate), 5 replaced, 1 added, 0 removed'."""
    text = (f"segments: {counts['kept_locked']} kept locked, {counts['kept_edited']} kept edited "
            f"({counts['needs_retranslate']} flagged needs_retranslate), {counts['replaced']} replaced, "
            f"{counts['added']} added, {counts['removed']} removed")
    if counts.get("not_in_source"):
        text += f", {counts['not_in_source']} edited line(s) no longer heard kept and flagged not_in_source"
    return text + (f", {counts['carried']} carried from job {counts['carried_from']}" if counts["carried"] else "")


class SegmentsStage:
    name, version, per_pass = "segments", 1, False

    def fingerprint(self, ctx: StageContext) -> str:
        return ctx.fingerprint_of(self, ["translate", "identify"])

    def run(self, ctx: StageContext) -> StageResult:
        lines = json.loads(ctx.local(ctx.out("translate")["translated"]).read_text())["lines"]
        characters = {label: v["character_id"] for label, v in ctx.out("identify")["speakers"].items()}
        previous = previous_job_id(ctx.job)
        counts = segments_from_pipeline(episode=ctx.job.episode, job_id=ctx.job.pk, lines=lines,
                                        characters=characters, previous_job_id=previous)
        ctx.event(describe({**counts, "carried_from": previous}))
        return StageResult(outputs={"count": len(lines), **counts}, engines={})
