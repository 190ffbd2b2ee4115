"""Reads restricted to what the requesting user may see."""
from __future__ import annotations

from django.db.models import Count, QuerySet

from dubsite.roles import require

from .models import Character, Episode, Series


def series_list(*, user) -> QuerySet[Series]:
    require(user, "series.view_series")
    return Series.objects.annotate(episode_count=Count("seasons__episodes", distinct=True)).order_by("title")


def series_get(*, user, slug: str) -> Series:
    from dubsite.errors import NotFound

    require(user, "series.view_series")
    series = Series.objects.filter(slug=slug).first()
    if series is None:
        raise NotFound(f"no series {slug!r}")
    return series


def episode_list(*, user, series: Series | None = None) -> QuerySet[Episode]:
    require(user, "series.view_episode")
    qs = Episode.objects.select_related("season__series")
    if series is not None:
        qs = qs.filter(season__series=series)
    return qs.order_by("season__series__title", "season__number", "number")


def episode_get(*, user, pk: int) -> Episode:
    from dubsite.errors import NotFound

    require(user, "series.view_episode")
    episode = Episode.objects.select_related("season__series").filter(pk=pk).first()
    if episode is None:
        raise NotFound(f"no episode {pk}")
    return episode


def character_list(*, user, series: Series) -> QuerySet[Character]:
    require(user, "series.view_character")
    return Character.objects.filter(series=series).select_related("merged_into")
