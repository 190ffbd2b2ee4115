"""`manage.py storage report|clean`: disk use per series, measured, and the orphans.

Stored files live under `episodes/` (sources), `jobs/<id>/` (artifacts) and `voices/` (encrypted
refs); each belongs to a row. An orphan is a stored file no row claims (a crash between a save and
its row, a delete whose file delete failed), or a work folder (`DUBSITE_WORK_DIR/job_<id>`) of a
job that no longer exists or ended and is past its keep time. Storage is read through the storage
API (S3 works), work folders from the local disk. This module assembles the apps, so only the
command and tests import it.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from jobs.lifecycle import release_expired_workspaces, stale_workspaces
from jobs.models import Job
from series.models import Episode, Series
from series.selectors import DiskUsage
from voices.models import VoiceRef

from . import audit
from .storage import delete_names, delete_tree, dir_size, walk

__all__ = ["CATEGORIES", "Orphan", "StorageReport", "storage_report", "storage_clean", "DEFAULT_MIN_AGE"]

CATEGORIES = ("episode sources", "job artifacts", "voice refs", "work folders")
# A stored file is written a moment before its row commits (an upload, a new ref): a file with no
# row younger than this may be one of those, so it is listed but left alone.
DEFAULT_MIN_AGE = timedelta(hours=1)
_JOB_DIR = re.compile(r"^jobs/(\d+)/")


@dataclass
class Orphan:
    kind: str  # "storage" or "work folder"
    name: str  # storage name (a folder ends with "/") or a local path
    bytes: int
    files: int
    reason: str
    modified: datetime | None = None
    too_new: bool = False  # younger than the minimum age: not removed


@dataclass
class SeriesUsage(DiskUsage):
    """A series' measured disk use (the page's DiskUsage, from rows) with its name, for reports."""

    slug: str = ""
    title: str = ""
    categories: dict[str, list[int]] = field(default_factory=lambda: {c: [0, 0] for c in CATEGORIES})


@dataclass
class StorageReport:
    series: list[SeriesUsage]
    orphans: list[Orphan]

    def as_dict(self) -> dict:
        return {"series": [{"slug": s.slug, "title": s.title, "bytes": s.bytes, "files": s.files,
                            "categories": {k: {"bytes": v[0], "files": v[1]} for k, v in s.categories.items()}}
                           for s in self.series],
                "orphans": [{**asdict(o), "modified": o.modified.isoformat() if o.modified else None}
                            for o in self.orphans]}


def _sizes(prefix: str) -> dict[str, int]:
    return {name: default_storage.size(name) for name in walk(prefix)}


def _modified(names: list[str]) -> datetime | None:
    times = []
    for name in names:
        try:
            times.append(default_storage.get_modified_time(name))
        except (NotImplementedError, OSError):
            continue
    return max(times) if times else None


def storage_report(*, min_age: timedelta = DEFAULT_MIN_AGE, now: datetime | None = None) -> StorageReport:
    """Measure every series' files and find the orphans (one listing of each top folder)."""
    now = now or timezone.now()
    series = {s.pk: SeriesUsage(slug=s.slug, title=s.title) for s in Series.objects.order_by("slug")}
    orphans: list[Orphan] = []

    def count(series_id: int, category: str, size: int, files: int = 1) -> None:
        usage = series[series_id].categories[category]
        usage[0] += size
        usage[1] += files

    def orphan(name: str, names: list[str], size: int, reason: str) -> None:
        modified = _modified(names)
        orphans.append(Orphan("storage", name, size, len(names), reason, modified,
                              too_new=modified is not None and now - modified < min_age))

    sources = dict(Episode.objects.values_list("source_video", "season__series_id"))
    for name, size in _sizes("episodes").items():
        if name in sources:
            count(sources[name], "episode sources", size)
        else:
            orphan(name, [name], size, "no episode has this file")

    job_series = dict(Job.objects.values_list("pk", "episode__season__series_id"))
    folders: dict[str, dict[str, int]] = defaultdict(dict)
    for name, size in _sizes("jobs").items():
        match = _JOB_DIR.match(name)
        folders[match.group(0) if match else name][name] = size
    for folder, files in sorted(folders.items()):
        match = _JOB_DIR.match(folder)
        job_id = int(match.group(1)) if match else None
        if job_id in job_series:
            count(job_series[job_id], "job artifacts", sum(files.values()), len(files))
        else:
            orphan(folder, list(files), sum(files.values()),
                   f"no job {job_id}" if job_id is not None else "not inside a job's folder")

    blobs = dict(VoiceRef.objects.values_list("blob", "character__series_id"))
    for name, size in _sizes("voices").items():
        if name in blobs:
            count(blobs[name], "voice refs", size)
        else:
            orphan(name, [name], size, "no voice ref has this blob")

    stale = {s.path: s for s in stale_workspaces(now)}
    for stale_one in stale.values():
        orphans.append(Orphan("work folder", str(stale_one.path), stale_one.bytes, stale_one.files, stale_one.reason,
                              datetime.fromtimestamp(stale_one.path.stat().st_mtime, tz=UTC)))
    root = Path(settings.DUBSITE_WORK_DIR)
    if root.is_dir():
        for path in sorted(root.glob("job_*")):
            job_id = path.name.removeprefix("job_")
            if path not in stale and job_id.isdigit() and int(job_id) in job_series:
                size, files = dir_size(path)
                count(job_series[int(job_id)], "work folders", size, files)
    return StorageReport(list(series.values()), orphans)


def storage_clean(*, dry_run: bool = False, min_age: timedelta = DEFAULT_MIN_AGE, actor=None,
                  context=None) -> list[Orphan]:
    """Remove the orphans older than `min_age` (`dry_run`: only list them) and audit what went.
    Every work folder is re-checked under its job's lock as it goes (jobs.lifecycle)."""
    report = storage_report(min_age=min_age)
    chosen = [o for o in report.orphans if not o.too_new]
    if dry_run:
        return chosen
    removed = []
    for item in chosen:
        if item.kind != "storage":
            continue
        files, freed = delete_tree(item.name.rstrip("/")) if item.name.endswith("/") else delete_names([item.name])
        if files:
            removed.append(Orphan(item.kind, item.name, freed, files, item.reason, item.modified))
    for stale in release_expired_workspaces():  # re-finds and re-checks them: one may have been retried
        removed.append(Orphan("work folder", str(stale.path), stale.bytes, stale.files, stale.reason))
    if removed:
        with transaction.atomic():
            audit.record(actor, "storage.clean", None, target_type="storage", context=context,
                         new={"removed": [o.name for o in removed][:500], "files": sum(o.files for o in removed),
                              "bytes": sum(o.bytes for o in removed)})
    return removed
