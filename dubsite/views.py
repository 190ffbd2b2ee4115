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


@login_required
def media_file(request, name: str):
    """Serve a stored artifact to users who may view jobs, resolved strictly inside MEDIA_ROOT."""
    if not has_perm(request.user, "jobs.view_job"):
        raise PermissionDenied("you may not view job artifacts")
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise Http404("no such file")
    ctype, _ = mimetypes.guess_type(target.name)
    return FileResponse(open(target, "rb"), content_type=ctype or "application/octet-stream",
                        as_attachment=target.suffix in {".mkv", ".mp4", ".json", ".srt", ".vtt"})


def models_status(request):
    """Admin page: every engine, available or not and why, and where the weights are."""
    from django.contrib import admin

    from media.catalog import engine_report, model_paths

    if not has_perm(request.user, "dubsite.view_auditevent"):  # admins only: it shows server paths
        raise PermissionDenied("admins only")
    context = {**admin.site.each_context(request), "engines": engine_report(), "paths": model_paths()}
    return render(request, "admin/models_status.html", context)
