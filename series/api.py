"""Series and episode endpoints: thin, they call selectors and services."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import File, Form, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from dubsite.audit import Context
from dubsite.schemas import (
    CLOSED_MULTIPART, NUMBER_MAX, SLUG_PATTERN, TEXT_PATTERN, IdPath, Slug, StrictSchema, errors,
    refuse_unknown_form_fields,
)

from . import selectors, services
from .languages import LANGUAGES
from .models import Mode

Language = Literal[tuple(sorted(LANGUAGES))]  # ISO 639-1 codes the platform knows
ModeName = Literal[tuple(Mode.values)]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=TEXT_PATTERN)]


class SeriesIn(StrictSchema):
    slug: Slug = Field(description="URL name: letters, digits, hyphens, underscores; fixed once created")
    title: Title
    source_language: Language = "en"
    target_language: Language = "en"
    default_mode: ModeName = "medium"
    voice_memory: bool = True
    privacy_mode: bool = False


class SeriesPatch(StrictSchema):
    """Only the fields sent change; `slug` is read-only, unknown fields are refused."""

    # omitted = unchanged; null is refused (these fields have no "empty" value)
    title: Title = None
    source_language: Language = None
    target_language: Language = None
    default_mode: ModeName = None
    voice_memory: bool = None
    privacy_mode: bool = None


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


SlugPath = Annotated[str, Path(description="the series' slug", min_length=1, max_length=80, pattern=SLUG_PATTERN)]
EPISODE_FORM_FIELDS = {"series", "season", "number", "title"}


@series_router.get("", response={200: list[SeriesOut], **errors(401, 403)}, summary="List series")
def list_series(request):
    return list(selectors.series_list(user=request.user))


@series_router.post("", response={201: SeriesOut, **errors(400, 401, 403, 409, 413, 422)}, summary="Create a series")
def create_series(request, payload: SeriesIn):
    data = payload.dict()
    series = services.series_create(actor=request.user, slug=data.pop("slug"), title=data.pop("title"),
                                    context=Context.from_request(request), **data)
    return Status(201, series)


@series_router.get("/{slug}", response={200: SeriesDetail, **errors(401, 403, 404, 422)},
                   summary="Series with its characters")
def get_series(request, slug: SlugPath):
    series = selectors.series_get(user=request.user, slug=slug)
    series.character_rows = list(selectors.character_list(user=request.user, series=series))
    return series


@series_router.patch("/{slug}", response={200: SeriesOut, **errors(400, 401, 403, 404, 413, 422)},
                     summary="Change a series (only the fields sent; unknown or read-only fields are refused)")
def update_series(request, slug: SlugPath, payload: SeriesPatch):
    series = selectors.series_get(user=request.user, slug=slug)
    values = payload.dict(exclude_unset=True)
    return services.series_update(actor=request.user, series=series, context=Context.from_request(request), **values)


@series_router.delete("/{slug}", response={204: None, **errors(401, 403, 404, 409, 422)},
                      summary="Delete a series and everything in it (409 while one of its jobs is queued or running)")
def delete_series(request, slug: SlugPath):
    series = selectors.series_get(user=request.user, slug=slug)
    services.series_delete(actor=request.user, series=series, context=Context.from_request(request))
    return Status(204, None)


@episodes_router.get("", response={200: list[EpisodeOut], **errors(401, 403, 404, 422)},
                     summary="List episodes (optionally of one series)")
def list_episodes(request, series: Annotated[str, Query(description="only this series' episodes (slug)", min_length=1,
                                                        max_length=80, pattern=SLUG_PATTERN)] = None):
    parent = selectors.series_get(user=request.user, slug=series) if series else None
    return list(selectors.episode_list(user=request.user, series=parent))


@episodes_router.post("", response={201: EpisodeOut, **errors(400, 401, 403, 404, 409, 413, 422)},
                      summary="Upload an episode (multipart)", openapi_extra=CLOSED_MULTIPART)
def create_episode(
    request,
    series: Annotated[str, Form(description="the series' slug", min_length=1, max_length=80, pattern=SLUG_PATTERN)],
    number: Annotated[int, Form(ge=1, le=NUMBER_MAX)],
    file: Annotated[UploadedFile, File(description="audio or video with an audio stream")],
    season: Annotated[int, Form(ge=1, le=NUMBER_MAX)] = 1,
    title: Annotated[str, Form(max_length=200, pattern=TEXT_PATTERN)] = "",
):
    refuse_unknown_form_fields(request, fields=EPISODE_FORM_FIELDS, files={"file"})
    parent = selectors.series_get(user=request.user, slug=series)
    episode = services.episode_create(actor=request.user, series=parent, season_number=season, number=number,
                                      upload=file, title=title, context=Context.from_request(request))
    return Status(201, episode)


@episodes_router.get("/{episode_id}", response={200: EpisodeOut, **errors(401, 403, 404, 422)},
                     summary="Episode detail")
def get_episode(request, episode_id: IdPath):
    return selectors.episode_get(user=request.user, pk=episode_id)
