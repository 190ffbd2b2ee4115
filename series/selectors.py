"""Reads restricted to what the requesting user may see."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet, Sum

from dubsite.roles import require

from .hooks import usage_providers
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


@dataclass
class DiskUsage:
    """Bytes and files a series holds, per category (episode sources, job artifacts, ...)."""

    categories: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def bytes(self) -> int:
        return sum(size for size, _ in self.categories.values())

    @property
    def files(self) -> int:
        return sum(count for _, count in self.categories.values())

    def rows(self) -> list[tuple[str, int, int]]:
        return [(name, size, count) for name, (size, count) in self.categories.items()]


def episode_source_usage(series_ids: Iterable[int]) -> dict[int, dict[str, tuple[int, int]]]:
    rows = (Episode.objects.filter(season__series_id__in=list(series_ids)).values("season__series_id")
            .annotate(size=Sum("source_size"), count=Count("id")).order_by())
    return {r["season__series_id"]: {"episode sources": (r["size"] or 0, r["count"])} for r in rows}


def series_disk_usage(*, user, series_ids: Iterable[int]) -> dict[int, DiskUsage]:
    """Disk use per series from figures kept on the rows (episode source sizes, each job's stored
    and work-folder bytes measured when it ended, each ref's blob size): a few aggregate queries
    whatever the number of files, and no storage listing (S3 would make that slow)."""
    require(user, "series.view_series")
    ids = list(series_ids)
    usage = {pk: DiskUsage() for pk in ids}
    for provider in [episode_source_usage, *usage_providers]:
        for pk, categories in provider(ids).items():
            if pk in usage:
                usage[pk].categories.update(categories)
    return usage
