"""Series and episode endpoints: thin, they call selectors and services."""
from __future__ import annotations

from datetime import datetime

from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from dubsite.audit import Context

from . import selectors, services


class SeriesIn(Schema):
    slug: str
    title: str
    source_language: str = "en"
    target_language: str = "en"
    default_mode: str = "medium"
    voice_memory: bool = True
    privacy_mode: bool = False


class SeriesPatch(Schema):
    title: str | None = None
    source_language: str | None = None
    target_language: str | None = None
    default_mode: str | None = None
    voice_memory: bool | None = None
    privacy_mode: bool | None = None


class SeriesOut(Schema):
    slug: str
    title: str
    source_language: str
    target_language: str
    default_mode: str
    voice_memory: bool
    privacy_mode: bool
    created: datetime


class CharacterOut(Schema):
    code: str
    display_name: str
    merged_into: str | None = None

    @staticmethod
    def resolve_merged_into(obj):
        return obj.merged_into.code if obj.merged_into_id else None


class SeriesDetail(SeriesOut):
    characters: list[CharacterOut]

    @staticmethod
    def resolve_characters(obj):
        return obj.character_rows


class EpisodeOut(Schema):
    id: int
    series: str
    season: int
    number: int
    title: str
    source_name: str
    duration: float
    streams: dict
    created: datetime

    @staticmethod
    def resolve_series(obj):
        return obj.season.series.slug

    @staticmethod
    def resolve_season(obj):
        return obj.season.number


series_router = Router(tags=["series"])
episodes_router = Router(tags=["episodes"])


@series_router.get("", response=list[SeriesOut], summary="List series")
def list_series(request):
    return list(selectors.series_list(user=request.user))


@series_router.post("", response={201: SeriesOut}, summary="Create a series")
def create_series(request, payload: SeriesIn):
    data = payload.dict()
    series = services.series_create(actor=request.user, slug=data.pop("slug"), title=data.pop("title"),
                                    context=Context.from_request(request), **data)
    return Status(201, series)


@series_router.get("/{slug}", response=SeriesDetail, summary="Series with its characters")
def get_series(request, slug: str):
    series = selectors.series_get(user=request.user, slug=slug)
    series.character_rows = list(selectors.character_list(user=request.user, series=series))
    return series


@series_router.patch("/{slug}", response=SeriesOut, summary="Change a series")
def update_series(request, slug: str, payload: SeriesPatch):
    series = selectors.series_get(user=request.user, slug=slug)
    values = payload.dict(exclude_unset=True)
    return services.series_update(actor=request.user, series=series, context=Context.from_request(request), **values)


@series_router.delete("/{slug}", response={204: None}, summary="Delete a series and everything in it")
def delete_series(request, slug: str):
    series = selectors.series_get(user=request.user, slug=slug)
    services.series_delete(actor=request.user, series=series, context=Context.from_request(request))
    return Status(204, None)


@episodes_router.get("", response=list[EpisodeOut], summary="List episodes (optionally of one series)")
def list_episodes(request, series: str | None = None):
    parent = selectors.series_get(user=request.user, slug=series) if series else None
    return list(selectors.episode_list(user=request.user, series=parent))


@episodes_router.post("", response={201: EpisodeOut}, summary="Upload an episode (multipart)")
def create_episode(request, series: Form[str], number: Form[int], file: File[UploadedFile],
                   season: Form[int] = 1, title: Form[str] = ""):
    parent = selectors.series_get(user=request.user, slug=series)
    episode = services.episode_create(actor=request.user, series=parent, season_number=season, number=number,
                                      upload=file, title=title, context=Context.from_request(request))
    return Status(201, episode)


@episodes_router.get("/{episode_id}", response=EpisodeOut, summary="Episode detail")
def get_episode(request, episode_id: int):
    return selectors.episode_get(user=request.user, pk=episode_id)
