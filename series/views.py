from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from dubsite.audit import Context
from dubsite.errors import ApplicationError
from dubsite.http import html_errors
from dubsite.roles import has_perm, require

from . import selectors, services
from .forms import EpisodeForm, SeriesForm


@login_required
@html_errors
def series_detail(request, slug: str):
    series = selectors.series_get(user=request.user, slug=slug)
    seasons = series.seasons.prefetch_related("episodes__jobs")
    characters = selectors.character_list(user=request.user, series=series)
    usage = selectors.series_disk_usage(user=request.user, series_ids=[series.pk])[series.pk]
    has_qc = any((job.outputs or {}).get("qc_verdict") for season in seasons for ep in season.episodes.all()
                 for job in ep.jobs.all())
    return render(request, "series/detail.html", {"series": series, "seasons": seasons, "characters": characters,
                                                  "usage": usage, "has_qc": has_qc})


@login_required
@html_errors
def series_new(request):
    require(request.user, "series.add_series")
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            series = services.series_create(actor=request.user, slug=data.pop("slug"), title=data.pop("title"),
                                            context=Context.from_request(request), **data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Series {series.title} created.")
            return redirect("series:detail", slug=series.slug)
    return render(request, "series/form.html", {"form": form, "title": "New series"})


@login_required
@html_errors
def episode_new(request, slug: str):
    series = selectors.series_get(user=request.user, slug=slug)
    require(request.user, "series.add_episode", series)
    form = EpisodeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            episode = services.episode_create(actor=request.user, series=series, season_number=data["season"],
                                              number=data["number"], upload=data["file"], title=data["title"],
                                              context=Context.from_request(request))
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{episode} uploaded ({episode.duration:.1f} s).")
            if has_perm(request.user, "jobs.add_job") and request.POST.get("submit_job"):
                return redirect(f"/jobs/new/?episode={episode.pk}")
            return redirect("series:detail", slug=series.slug)
    return render(request, "series/form.html", {"form": form, "title": f"Upload an episode of {series.title}",
                                                "multipart": True})
