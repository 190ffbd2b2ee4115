"""QC on pages: the pictures of a job's latest QC, its printable report, and a series' voice drift."""
from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dubsite.http import html_errors
from dubsite.roles import require
from series.models import Series

from . import selectors
from .artifacts import storage_name
from .models import Job, JobState
from .qc_pictures import drift_svg, loudness_svg, similarity_svg, speed_svg, who_speaks_svg

__all__ = ["load_qc", "job_qc_picture", "job_qc_report", "series_drift_svg", "series_drift"]

PICTURES = {"who": who_speaks_svg, "loudness": loudness_svg, "similarity": similarity_svg, "speed": speed_svg}


def load_qc(job: Job) -> dict | None:
    """The job's qc.json (the pass whose outputs it serves), read from storage; None before QC ran."""
    rel = (job.outputs or {}).get("qc")
    if not rel:
        return None
    name = storage_name(job.pk, rel)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as fh:
        data = json.loads(fh.read().decode("utf-8"))
    return data if "lines" in data else None  # mux's summary alone: QC did not run (or was skipped)


@login_required
@require_GET
@html_errors
def job_qc_picture(request, pk: int, name: str):
    job = selectors.job_get(user=request.user, pk=pk)
    draw = PICTURES.get(name)
    qc = load_qc(job) if draw else None
    if qc is None:
        raise Http404("no such QC picture")
    return HttpResponse(draw(qc), content_type="image/svg+xml")


@login_required
@require_GET
@html_errors
def job_qc_report(request, pk: int):
    job = selectors.job_get(user=request.user, pk=pk)
    qc = load_qc(job)
    if qc is None:
        raise Http404("this job has no QC report yet")
    # editors start with the worst lines: most failed checks first, then the round trip's WER
    lines = sorted(qc["lines"], key=lambda ln: (-len(ln.get("flags") or []), -(ln.get("wer") or 0), ln["start"]))
    return render(request, "jobs/qc_report.html", {"job": job, "qc": qc, "lines": lines,
                                                   "pictures": list(PICTURES)})


def series_drift(series: Series) -> tuple[dict[str, list[tuple[float, float]]], list[dict]]:
    """Per character, the mean similarity of its dubbed lines to its voice, episode by episode
    (the newest finished job of each episode), and each episode's verdict."""
    jobs = (Job.objects.filter(episode__season__series=series, state=JobState.SUCCEEDED)
            .select_related("episode__season").order_by("episode__season__number", "episode__number", "-created"))
    newest: dict[int, Job] = {}
    for job in jobs:
        newest.setdefault(job.episode_id, job)
    points: dict[str, list[tuple[float, float]]] = {}
    verdicts = []
    for order, job in enumerate(newest.values(), start=1):
        qc = load_qc(job)
        if qc is None:
            continue
        verdicts.append({"order": order, "episode": str(job.episode), "job": job.pk, "verdict": qc.get("verdict"),
                         "flagged": sum(1 for ln in qc["lines"] if ln.get("flags")), "lines": len(qc["lines"])})
        for code, entry in (qc.get("per_character") or {}).items():
            points.setdefault(code, []).append((order, entry["mean_similarity"]))
    return points, verdicts


@login_required
@require_GET
@html_errors
def series_drift_svg(request, series_pk: int):
    series = Series.objects.filter(pk=series_pk).first()
    if series is None:
        raise Http404("no such series")
    require(request.user, "jobs.view_job")
    points, _ = series_drift(series)
    return HttpResponse(drift_svg(points, title=f"Voice drift across episodes of {series.title}"),
                        content_type="image/svg+xml")
