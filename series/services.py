"""Catalog writes. Each service checks permission, validates, writes, and audits in one transaction."""
from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from dubsite import audit
from dubsite.errors import Conflict, Invalid, NotFound
from dubsite.roles import require

from .hooks import delete_guards, forget_voice_data
from .languages import LANGUAGES
from .models import Character, Episode, Mode, Season, Series
from .uploads import check_upload
from .voicekeys import check_voice_key

__all__ = [
    "series_create", "series_update", "series_delete", "check_series_deletable", "season_get_or_create",
    "episode_create", "episode_delete", "character_create", "character_update", "CHARACTER_FIELDS",
]

SERIES_FIELDS = ("title", "source_language", "target_language", "default_mode", "voice_memory", "privacy_mode")


def _snapshot(obj, fields) -> dict:
    return {f: getattr(obj, f) for f in fields}


def _check_series_values(values: dict) -> None:
    errors = {}
    for key in ("source_language", "target_language"):
        if key in values and values[key] not in LANGUAGES:
            errors[key] = f"unknown language code {values[key]!r}"
    if "default_mode" in values and values["default_mode"] not in Mode.values:
        errors["default_mode"] = f"must be one of {', '.join(Mode.values)}"
    if "title" in values and not str(values["title"]).strip():
        errors["title"] = "must not be empty"
    if errors:
        raise Invalid("invalid series", fields=errors)


def series_create(*, actor, slug: str, title: str, context=None, **values) -> Series:
    require(actor, "series.add_series")
    values["title"] = title
    _check_series_values(values)
    if Series.objects.filter(slug=slug).exists():
        raise Conflict(f"a series with slug {slug!r} already exists", fields={"slug": "taken"})
    with transaction.atomic():
        series = Series(slug=slug, created_by=actor if actor.is_authenticated else None, **values)
        series.full_clean()
        series.save()
        audit.record(actor, "series.create", series, new={"slug": slug, **_snapshot(series, SERIES_FIELDS)},
                     context=context)
    return series


def series_update(*, actor, series: Series, context=None, **values) -> Series:
    require(actor, "series.change_series", series)
    unknown = set(values) - set(SERIES_FIELDS)
    if unknown:
        raise Invalid("unknown fields", fields={k: "not editable" for k in unknown})
    _check_series_values(values)
    with transaction.atomic():
        series = Series.objects.select_for_update().get(pk=series.pk)
        changed = {key: value for key, value in values.items() if getattr(series, key) != value}
        if not changed:
            return series  # nothing to write, nothing to audit
        old = _snapshot(series, changed)
        for key, value in changed.items():
            setattr(series, key, value)
        series.full_clean()
        series.save(update_fields=list(changed))
        audit.record(actor, "series.update", series, old=old, new=_snapshot(series, changed), context=context)
        if series.privacy_mode and not old.get("privacy_mode", True):
            forget_voice_data(series, actor=actor, context=context)  # privacy mode keeps no voice data
    return series


def check_series_deletable(series: Series) -> None:
    """Refuse (409) while anything registered in `series.hooks.delete_guards` objects, e.g. a
    queued or running job of the series: a worker must not lose its rows mid-stage."""
    reasons = [reason for guard in delete_guards for reason in guard(series)]
    if reasons:
        raise Conflict(f"series {series.slug} cannot be deleted now: {'; '.join(reasons)}",
                       fields={"series": "busy"})


def series_delete(*, actor, series: Series, context=None) -> None:
    """Delete the series and everything in it. Its files (episode sources, job artifacts and work
    folders, encrypted refs) are deleted after the commit by the apps' post_delete receivers."""
    require(actor, "series.delete_series", series)
    with transaction.atomic():
        series = Series.objects.select_for_update().filter(pk=series.pk).first()
        if series is None:
            raise NotFound("the series was deleted meanwhile")
        # Lock the episodes first: on PostgreSQL a job inserted for one of them now waits for this
        # transaction (its foreign key check needs the row), so the guard below cannot be outrun.
        list(Episode.objects.select_for_update().filter(season__series=series).values_list("pk", flat=True))
        check_series_deletable(series)
        audit.record(actor, "series.delete", series, old={"slug": series.slug, "title": series.title},
                     context=context)
        forget_voice_data(series, actor=actor, context=context)  # refs, embeddings (blobs after the commit)
        series.delete()


def season_get_or_create(*, actor, series: Series, number: int, context=None) -> Season:
    season = Season.objects.filter(series=series, number=number).first()
    if season:
        return season
    require(actor, "series.add_season", series)
    if number < 1:
        raise Invalid("season numbers start at 1", fields={"season": "must be ≥ 1"})
    with transaction.atomic():
        season = Season.objects.create(series=series, number=number)
        audit.record(actor, "season.create", season, new={"series": series.slug, "number": number}, context=context)
    return season


def episode_create(*, actor, series: Series, season_number: int, number: int, upload, title: str = "",
                   context=None) -> Episode:
    """Validate the upload (name, size, ffprobe), store it, and record the probe."""
    require(actor, "series.add_episode", series)
    if number < 1:
        raise Invalid("episode numbers start at 1", fields={"number": "must be ≥ 1"})
    checked = check_upload(upload)
    with transaction.atomic():
        season = season_get_or_create(actor=actor, series=series, number=season_number, context=context)
        if Episode.objects.filter(season=season, number=number).exists():
            raise Conflict(f"{season} already has episode {number}", fields={"number": "taken"})
        episode = Episode(
            season=season, number=number, title=title, source_name=checked.original_name[:255],
            source_size=checked.size, source_sha256=checked.sha256, duration=checked.probe.duration,
            streams=checked.probe.as_dict(), created_by=actor,
        )
        episode.source_video.save(checked.name, upload, save=False)
        try:  # if the row cannot be written, do not leave the stored file behind
            episode.full_clean()
            episode.save()
            audit.record(actor, "episode.create", episode,
                         new={"series": series.slug, "season": season.number, "number": number,
                              "file": episode.source_video.name, "sha256": checked.sha256,
                              "duration": round(checked.probe.duration, 3)}, context=context)
        except Exception:
            episode.source_video.delete(save=False)
            raise
    return episode


def episode_delete(*, actor, episode: Episode, context=None) -> None:
    """Delete an episode with its jobs and lines; its files (source, job artifacts and work
    folders) go after the commit through the apps' post_delete receivers. Refused (409) while
    anything in `series.hooks.delete_guards` objects for its series (a queued or running job)."""
    require(actor, "series.delete_episode", episode)
    with transaction.atomic():
        episode = Episode.objects.select_for_update().select_related("season__series").filter(pk=episode.pk).first()
        if episode is None:
            raise NotFound("the episode was deleted meanwhile")
        reasons = [reason for guard in delete_guards for reason in guard(episode.season.series)]
        if reasons:
            raise Conflict(f"{episode} cannot be deleted now: {'; '.join(reasons)}", fields={"episode": "busy"})
        audit.record(actor, "episode.delete", episode, context=context,
                     old={"series": episode.season.series.slug, "season": episode.season.number,
                          "number": episode.number, "file": episode.source_video.name})
        episode.delete()


def _next_code(series: Series) -> str:
    last = Character.objects.filter(series=series).aggregate(m=Max("code"))["m"]
    number = int(last.split("_")[1]) + 1 if last else 1
    return f"CHAR_{number:04d}"


CHARACTER_FIELDS = ("display_name", "notes", "voice_locked", "voice_settings")


def _check_character_values(values: dict, series: Series) -> dict:
    """Normalise what a person may set on a character; Invalid names the field at fault."""
    out = {}
    if values.get("display_name") is not None:
        name = str(values["display_name"]).strip()
        if len(name) > 100:
            raise Invalid("a name has at most 100 characters", fields={"display_name": "too long"})
        out["display_name"] = name
    if values.get("notes") is not None:
        if len(values["notes"]) > 5000:
            raise Invalid("notes have at most 5000 characters", fields={"notes": "too long"})
        out["notes"] = values["notes"]
    if values.get("voice_locked") is not None:
        out["voice_locked"] = bool(values["voice_locked"])
    if values.get("voice") is not None:  # "" clears the saved voice: jobs pick one again
        out["voice"] = check_voice_key(values["voice"], series.target_language) if values["voice"].strip() else ""
    return out


def character_create(*, actor, series: Series, display_name: str = "", voice_settings: dict | None = None,
                     notes: str = "", voice_locked: bool = False, voice: str | None = None,
                     context=None) -> Character:
    """New persistent character with the next stable code. Actor None = the pipeline (system)."""
    if actor is not None:
        require(actor, "series.add_character", series)
    values = _check_character_values({"display_name": display_name, "notes": notes, "voice_locked": voice_locked,
                                      "voice": voice}, series)
    settings = dict(voice_settings or {})
    if values.get("voice"):
        settings["voice"] = values["voice"]
    with transaction.atomic():
        Series.objects.select_for_update().get(pk=series.pk)  # serialise code allocation per series
        character = Character.objects.create(series=series, code=_next_code(series),
                                             display_name=values["display_name"], notes=values["notes"],
                                             voice_locked=values["voice_locked"], voice_settings=settings)
        audit.record(actor, "character.create", character,
                     new={"series": series.slug, "code": character.code, **_snapshot(character, CHARACTER_FIELDS)},
                     context=context)
    return character


def character_update(*, actor, character: Character, context=None, display_name: str | None = None,
                     notes: str | None = None, voice_locked: bool | None = None,
                     voice: str | None = None) -> Character:
    """Rename, notes, lock, saved voice (`voice`: a media.tts voice key, "" to clear). The rest of
    voice_settings (the pipeline's markers) is not a person's to edit: it is kept as it is, and the
    admin (which offers what this signature takes) shows it read-only. A change of nothing audits nothing."""
    require(actor, "series.change_character", character)
    values = _check_character_values({"display_name": display_name, "notes": notes, "voice_locked": voice_locked,
                                      "voice": voice}, character.series)
    with transaction.atomic():
        character = Character.objects.select_for_update().get(pk=character.pk)
        new_settings = dict(character.voice_settings or {})
        if "voice" in values:
            new_settings.pop("voice", None)
            key = values.pop("voice")
            if key:
                new_settings["voice"] = key
        values["voice_settings"] = new_settings
        changed = {k: v for k, v in values.items() if getattr(character, k) != v}
        if not changed:
            return character
        old = _snapshot(character, changed)
        for key, value in changed.items():
            setattr(character, key, value)
        character.full_clean()
        character.save(update_fields=list(changed))
        audit.record(actor, "character.update", character, old=old, new=_snapshot(character, changed),
                     context=context)
    return character
