"""Run a job's passes and stages with checkpoints: a stage whose fingerprint matches a
finished StageRun of this job is skipped (resume), and cancel is honoured between stages.
The passes come from the job's Pass rows (`stages.pass_plan`). A later pass (clone, resynth)
never endangers the dub: if it fails or is cancelled, the outputs already in place stay (mux
swaps them in one row update, only at the very end of a pass) and the job succeeds."""
from __future__ import annotations

import logging
import time

from django.utils import timezone

from .artifacts import Workspace, WorkspaceUnusable
from .events import public
from .models import Job, Pass, PassKind, PassState, StageRun, StageState
from .modes import resolve_mode
from .stages import JobCancelled, JobFailure, StageContext, pass_plan, stage_key

__all__ = ["run_passes", "finished_outputs"]

log = logging.getLogger("jobs.pipeline")


def finished_outputs(job: Job) -> tuple[dict[str, dict], dict[str, str]]:
    """Latest succeeded outputs and fingerprints per stage key (what later stages read)."""
    outputs: dict[str, dict] = {}
    fps: dict[str, str] = {}
    for run in job.stage_runs.filter(state=StageState.SUCCEEDED).select_related("pass_obj").order_by("finished", "id"):
        key = run.outputs.get("_key") or run.name
        outputs[key], fps[key] = run.outputs, run.fingerprint
    return outputs, fps


def _check_cancel(job: Job) -> None:
    if Job.objects.filter(pk=job.pk, cancel_requested=True).exists():
        raise JobCancelled()


def _set_progress(job: Job, done: float, total: int, stage: str) -> None:
    progress = round(done / total, 3) if total else 1.0
    if (progress, stage) == (job.progress, job.current_stage):
        return  # a stage reporting often (a line, a segment) writes only when the figure moves
    job.progress, job.current_stage = progress, stage
    Job.objects.filter(pk=job.pk).update(progress=progress, current_stage=stage)


def _run_stage(job: Job, pass_row: Pass, stage, ctx: StageContext) -> None:
    key = stage_key(stage, pass_row.number)
    ctx.stage = stage.name
    fp = stage.fingerprint(ctx)
    done = job.stage_runs.filter(name=stage.name, fingerprint=fp, state=StageState.SUCCEEDED).order_by("-id").first()
    if done is not None:
        ctx.outputs[key], ctx.fingerprints[key] = done.outputs, fp
        log.info("%s: resumed (inputs unchanged since run %s)", stage.name, done.pk, extra={"stage": stage.name})
        return
    run = StageRun.objects.create(job=job, pass_obj=pass_row, name=stage.name, fingerprint=fp)
    began = time.monotonic()
    try:
        result = stage.run(ctx)
        run.state, run.outputs, run.engines = StageState.SUCCEEDED, {**result.outputs, "_key": key}, public(result.engines)
        run.finished, run.duration = timezone.now(), round(time.monotonic() - began, 3)
        run.save(update_fields=["state", "outputs", "engines", "finished", "duration"])
    except BaseException as exc:  # the stage, or recording its result, failed: the row says so
        StageRun.objects.filter(pk=run.pk).update(
            state=StageState.FAILED, error=public(f"{exc.__class__.__name__}: {exc}").replace("\x00", "")[:4000],
            finished=timezone.now(), duration=round(time.monotonic() - began, 3))
        raise
    ctx.outputs[key], ctx.fingerprints[key] = run.outputs, fp
    log.info("%s: done in %.2f s", stage.name, run.duration, extra={"stage": stage.name,
                                                                   "data": {"engines": result.engines}})


def _end_pass(pass_row: Pass, state: str, error: str = "") -> None:
    pass_row.state, pass_row.error, pass_row.finished = state, public(error)[:4000], timezone.now()
    pass_row.save(update_fields=["state", "error", "finished"])


# A later pass that ended this way stays as it ended: a new pass supersedes it, and only the
# services (retry, rerun pass 2, re-identify) put a pass back to pending.
_SETTLED = frozenset({PassState.FAILED, PassState.CANCELLED, PassState.SKIPPED})


def run_passes(job: Job, on_stage=None) -> list[str]:
    """Run every pass of the plan in order. Raises JobFailure / JobCancelled / anything else
    from the dub pass; a failure or cancel in a later pass is recorded on its Pass row and
    logged, and returned as a note for the job's end."""
    notes: list[str] = []
    workspace = Workspace(job.pk)
    try:
        workspace.check()
    except WorkspaceUnusable as exc:
        raise JobFailure(str(exc)) from exc
    series = job.episode.season.series
    settings = resolve_mode(job.mode, series.source_language)
    for note in settings.downgrades:
        log.warning("mode %s downgraded: %s", job.mode, note)
    plan = pass_plan(job)
    total = sum(len(p.stages) for p in plan)
    done = 0
    outputs, fps = finished_outputs(job)
    for number, kind, stages in plan:
        pass_row, _ = Pass.objects.get_or_create(job=job, number=number, defaults={"kind": kind})
        if pass_row.state == PassState.SUCCEEDED and all(stage_key(s, number) in outputs for s in stages):
            done += len(stages)
            log.info("pass %d: already complete (resumed)", number)
            continue
        if kind != PassKind.DUB and pass_row.state in _SETTLED:
            done += len(stages)
            continue
        pass_row.state, pass_row.error, pass_row.started = PassState.RUNNING, "", timezone.now()
        pass_row.save(update_fields=["state", "error", "started"])
        log.info("pass %d (%s): start (%s)", number, kind, " → ".join(s.name for s in stages))
        ctx = StageContext(job=job, pass_number=number, kind=kind, workspace=workspace, outputs=outputs, log=log,
                           settings=settings, fingerprints=fps)
        try:
            for stage in stages:
                _check_cancel(job)
                _set_progress(job, done, total, stage.name)
                ctx.progress = lambda f, d=done, name=stage.name: _set_progress(job, d + f, total, name)
                if on_stage:
                    on_stage(stage.name, done, total)
                _run_stage(job, pass_row, stage, ctx)
                done += 1
        except JobCancelled:
            _end_pass(pass_row, PassState.CANCELLED, "cancelled by request")
            if kind == PassKind.DUB:
                raise
            kept = job.outputs.get("pass", 1)
            log.warning("pass %d cancelled; the pass-%d dub stays", number, kept)
            notes.append(f"pass {number} cancelled; the pass-{kept} dub stays")
            break
        except Exception as exc:
            _end_pass(pass_row, PassState.FAILED,
                      str(exc) if kind == PassKind.DUB else f"{exc.__class__.__name__}: {exc}")
            if kind == PassKind.DUB:
                raise
            kept = job.outputs.get("pass", 1)
            log.error("pass %d failed; keeping pass %d outputs: %s", number, kept, exc, exc_info=True)
            notes.append(f"pass {number} failed; the pass-{kept} dub stays")
            break
        _end_pass(pass_row, PassState.SUCCEEDED)
        log.info("pass %d complete" + ("; outputs replaced" if kind != PassKind.DUB else ""), number)
    _set_progress(job, total, total, "")
    return notes
