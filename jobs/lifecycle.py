"""A job's files over its life.

- Its work folder (`DUBSITE_WORK_DIR/job_<id>`, local scratch for engines) goes when the job
  ends: at once after success or cancel; after a failure it stays `DUBSITE_KEEP_FAILED_WORK_HOURS`
  for debugging, then `release_expired_workspaces` (scheduled, and `manage.py storage clean`)
  removes it. A kept folder holds no voice data: plaintext refs and decrypted copies are scrubbed
  from it as the job ends (`scrub_voice_data`). Retry and "Rerun pass 2" need no work folder:
  every artifact a later stage reads is published to storage, and `Workspace.ensure_local`
  fetches it back.
- Its artifacts in storage (`jobs/<id>/`) and its work folder go with its row, after the commit
  (`delete_job_files`, a post_delete receiver, so a series or episode delete cascades to them).
- A series with a queued or running job cannot be deleted (`active_jobs_guard`).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from dubsite import audit
from dubsite.storage import (delete_tree, delete_tree_after_commit, dir_size, remove_dir, remove_dir_after_commit,
                             tree_size)
from voices.jobrefs import PLAIN_FOLDER

from .artifacts import Workspace
from .models import ACTIVE_STATES, Job, JobState

__all__ = ["release_workspace", "scrub_voice_data", "VOICE_SCRATCH", "keep_failed_for", "stale_workspaces",
           "release_expired_workspaces", "workspaces_clean", "delete_job_files", "forget_deleted_job",
           "active_jobs_guard", "job_disk_usage", "StaleWorkspace", "REMOVED_AT_ONCE", "KEPT_AFTER"]

log = logging.getLogger("jobs.lifecycle")

REMOVED_AT_ONCE = frozenset({JobState.SUCCEEDED, JobState.CANCELLED})
KEPT_AFTER = frozenset({JobState.FAILED, JobState.ERRORED})
_FOLDER = re.compile(r"^job_(\d+)$")


def keep_failed_for() -> timedelta:
    return timedelta(hours=max(float(settings.DUBSITE_KEEP_FAILED_WORK_HOURS), 0.0))


def storage_prefix(job_id: int) -> str:
    return f"jobs/{job_id}"


# Where a work folder can hold plaintext voice data: the refs stage's output folder (before its
# files are encrypted), decrypted job refs (voices.jobrefs) and decrypted series refs (tts).
REFS_FOLDER = "analysis/voice_refs"
REFS_METADATA = {"manifest.json"}
VOICE_SCRATCH = (PLAIN_FOLDER, "work/series_refs")


def scrub_voice_data(root: Path) -> int:
    """Remove every voice file from a work folder that stays after its job: the refs folder but
    its manifest, and the folders of decrypted copies. Returns how many files went."""
    removed = 0
    refs = root / REFS_FOLDER
    if refs.is_dir():
        for path in refs.rglob("*"):
            if path.is_file() and path.relative_to(refs).as_posix() not in REFS_METADATA:
                path.unlink(missing_ok=True)
                removed += 1
    for rel in VOICE_SCRATCH:
        removed += remove_dir(root / rel)[0] if (root / rel).exists() else 0
    return removed


def release_workspace(job: Job) -> None:
    """Called by the runner as a job ends, whatever the outcome. Removes the work folder (or keeps
    it after a failure, see the module doc) and records the job's disk use on its row.

    Never raises: it runs in the runner's `finally`, where an error would hide the job's own.
    A folder it could not remove is an orphan that `manage.py storage clean` finds."""
    if job.state not in REMOVED_AT_ONCE | KEPT_AFTER:
        return  # interrupted (worker stopping): the resumed run still wants its folder
    try:
        workspace = Workspace(job.pk)
        if job.state in KEPT_AFTER and keep_failed_for() > timedelta(0):
            scrubbed = scrub_voice_data(workspace.root)  # kept for debugging, never with voice data
            if scrubbed:
                log.info("job %s: %s voice file(s) removed from the kept work folder", job.pk, scrubbed)
            work, _ = dir_size(workspace.root)
            log.info("job %s %s: work folder kept %s for debugging", job.pk, job.state, keep_failed_for())
        else:
            remove_dir(workspace.root)
            work = 0
        stored, files = tree_size(storage_prefix(job.pk))
        Job.objects.filter(pk=job.pk).update(stored_bytes=stored, stored_files=files, work_bytes=work)
    except Exception:  # cleanup must not turn an ended job into a crashed worker; clean retries it
        log.exception("could not release the work folder of job %s", job.pk)


@dataclass
class StaleWorkspace:
    """A work folder that should no longer be there, and why."""

    path: Path
    job_id: int
    reason: str
    bytes: int
    files: int


def _expired(state: str, finished: datetime | None, path: Path, now: datetime) -> str | None:
    if state in REMOVED_AT_ONCE:
        return f"job ended {state}"
    if state in KEPT_AFTER:
        ended = finished or datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        if ended + keep_failed_for() <= now:
            return f"job {state} at {ended:%Y-%m-%d %H:%M}, kept {keep_failed_for()}"
    return None


def stale_workspaces(now: datetime | None = None) -> list[StaleWorkspace]:
    """Work folders of jobs that no longer exist, or that ended and are past the keep time.
    Folders of queued or running jobs, and anything not named `job_<id>`, are never listed."""
    now = now or timezone.now()
    root = Path(settings.DUBSITE_WORK_DIR)
    if not root.is_dir():
        return []
    folders = {int(m.group(1)): p for p in root.iterdir() if p.is_dir() and (m := _FOLDER.match(p.name))}
    rows = {pk: (state, finished) for pk, state, finished in
            Job.objects.filter(pk__in=list(folders)).values_list("pk", "state", "finished")}
    stale = []
    for pk, path in sorted(folders.items()):
        reason = "job deleted" if pk not in rows else _expired(*rows[pk], path, now)
        if reason:
            size, count = dir_size(path)
            stale.append(StaleWorkspace(path, pk, reason, size, count))
    return stale


def release_expired_workspaces(*, dry_run: bool = False, now: datetime | None = None) -> list[StaleWorkspace]:
    """Remove the stale work folders (the scheduled task and `manage.py storage clean`).

    Each is re-checked under the job's row lock just before it goes, so a job retried meanwhile
    (the runner claims it under the same lock) keeps its folder."""
    removed = []
    for stale in stale_workspaces(now):
        if dry_run:
            removed.append(stale)
            continue
        with transaction.atomic():
            row = Job.objects.select_for_update().filter(pk=stale.job_id).values_list("state", "finished").first()
            if row is not None and not _expired(*row, stale.path, now or timezone.now()):
                continue
            remove_dir(stale.path)
            if row is not None:
                Job.objects.filter(pk=stale.job_id).update(work_bytes=0)
        removed.append(stale)
    return removed


def workspaces_clean(*, actor=None, context=None) -> list[StaleWorkspace]:
    """The scheduled clean-up: remove stale work folders and audit it (actor None = the system)."""
    removed = release_expired_workspaces()
    if removed:
        with transaction.atomic():
            audit.record(actor, "storage.clean", None, target_type="work_folders", context=context,
                         new={"work_folders": [f"job_{s.job_id}" for s in removed],
                              "bytes": sum(s.bytes for s in removed)})
    return removed


def delete_job_files(sender, instance: Job, **kwargs) -> None:
    """post_delete of a Job (directly, or cascaded from its episode or series): its artifacts in
    storage and its work folder go after the commit."""
    delete_tree_after_commit(storage_prefix(instance.pk))
    remove_dir_after_commit(Workspace(instance.pk).root)


def forget_deleted_job(job_id: int) -> None:
    """A job deleted while its worker ran it: what the worker wrote after the delete goes now."""
    delete_tree(storage_prefix(job_id))
    remove_dir(Workspace(job_id).root)


def active_jobs_guard(series) -> list[str]:
    """series.hooks delete guard: a series whose jobs are queued or running stays. Every job row of
    the series is locked, so neither a worker's claim nor a retry can slip in before the delete."""
    jobs = list(Job.objects.select_for_update(of=("self",)).filter(episode__season__series=series)
                .order_by("pk").values_list("pk", "state"))
    active = [f"#{pk} ({state})" for pk, state in jobs if state in ACTIVE_STATES]
    if not active:
        return []
    return [f"job{'s' if len(active) > 1 else ''} {', '.join(active)} "
            f"{'are' if len(active) > 1 else 'is'} queued or running; cancel {'them' if len(active) > 1 else 'it'} "
            "first"]


def job_disk_usage(series_ids) -> dict[int, dict[str, tuple[int, int]]]:
    """series.hooks usage provider: job artifacts and kept work folders, from the jobs' rows."""
    rows = (Job.objects.filter(episode__season__series_id__in=list(series_ids))
            .values("episode__season__series_id")
            .annotate(stored=Sum("stored_bytes"), files=Sum("stored_files"), work=Sum("work_bytes"),
                      folders=Count("pk", filter=Q(work_bytes__gt=0)))
            .order_by())
    return {r["episode__season__series_id"]: {"job artifacts": (r["stored"] or 0, r["files"] or 0),
                                              "work folders": (r["work"] or 0, r["folders"])} for r in rows}
