from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import render

from dubsite.roles import has_perm
from jobs.models import Job
from series.models import Series
from series.selectors import series_disk_usage


@login_required
def dashboard(request):
    if not has_perm(request.user, "series.view_series"):
        raise PermissionDenied("you have no role yet; ask an admin")
    series = list(Series.objects.order_by("title"))
    usage = series_disk_usage(user=request.user, series_ids=[s.pk for s in series])  # a few queries for all
    for s in series:
        s.disk = usage[s.pk]
    jobs = Job.objects.select_related("episode__season__series").order_by("-created")[:20]
    return render(request, "dubsite/dashboard.html", {"series_list": series, "jobs": jobs})


# Voice data (series refs, job refs, clone copies) is biometric: its blobs are never served as
# files, not even encrypted; a ref is heard only decrypted, through the voices routes' permission
# check (voices/playback.py). A job's `work/` files are engine scratch with server paths.
PRIVATE_FOLDERS = {"voices"}
PRIVATE_SUFFIXES = (".fernet",)
JOB_PRIVATE_FOLDERS = (("work",), ("analysis", "voice_refs"))
PUBLIC_IN_PRIVATE = {("analysis", "voice_refs", "manifest.json")}  # the refs' metadata, a job-page download


def is_private(parts: tuple[str, ...]) -> bool:
    """Is the stored file at these path parts (relative to MEDIA_ROOT) never to be served here?"""
    if not parts or parts[0] in PRIVATE_FOLDERS or parts[-1].endswith(PRIVATE_SUFFIXES):
        return True
    if parts[0] == "jobs" and len(parts) > 2:  # jobs/<id>/<relative name>
        inside = parts[2:]
        if inside in PUBLIC_IN_PRIVATE:
            return False
        return any(inside[:len(folder)] == folder for folder in JOB_PRIVATE_FOLDERS)
    return False


def _media_path(name: str) -> Path | None:
    """The regular file `name` names inside MEDIA_ROOT, or None: a NUL byte, a name too long for the
    file system, `..` or a link out of the root, a folder, or nothing there all read as "no such file"."""
    if not name or "\x00" in name or "\\" in name or len(name) > 1024:
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        target = (root / name).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return None
    except (OSError, ValueError):  # ENAMETOOLONG, ELOOP, invalid names
        return None
    return target


@login_required
def media_file(request, name: str):
    """Serve a stored artifact to users who may view jobs, resolved strictly inside MEDIA_ROOT."""
    if not has_perm(request.user, "jobs.view_job"):
        raise PermissionDenied("you may not view job artifacts")
    target = _media_path(name)
    if target is None or is_private(target.relative_to(Path(settings.MEDIA_ROOT).resolve()).parts):
        raise Http404("no such file")
    try:
        handle = open(target, "rb")
    except OSError:  # removed or unreadable since the check
        raise Http404("no such file") from None
    ctype, _ = mimetypes.guess_type(target.name)
    return FileResponse(handle, content_type=ctype or "application/octet-stream",
                        as_attachment=target.suffix in {".mkv", ".mp4", ".json", ".srt", ".vtt"})


def models_status(request):
    """Admin page: every engine, available or not and why, and where the weights are."""
    from django.contrib import admin

    from media.catalog import engine_report, model_paths

    if not has_perm(request.user, "dubsite.view_auditevent"):  # admins only: it shows server paths
        raise PermissionDenied("admins only")
    context = {**admin.site.each_context(request), "engines": engine_report(), "paths": model_paths()}
    return render(request, "admin/models_status.html", context)
