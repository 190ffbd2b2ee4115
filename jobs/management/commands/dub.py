"""`manage.py dub VIDEO --series SLUG ...`: create the catalog rows if needed and dub the file
with the same pipeline as the web (inline with --sync, else through the queue)."""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dubsite.errors import ApplicationError
from dubsite.schemas import NUMBER_MAX, SLUG_PATTERN
from media.errors import MediaError
from series.languages import LANGUAGES
from series.models import Episode, Season, Series
from series.services import episode_create, series_create

from ...models import Job
from ...reports import export_outputs, job_summary
from ...runner import run_job
from ...services import job_submit


def _bar(done: int, total: int, label: str) -> str:
    filled = int(30 * done / max(total, 1))
    return f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {label:<12}"


def _number(text: str) -> int:
    """--season/--episode: a whole number the catalog can hold (argparse prints the reason on one line)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= NUMBER_MAX:
        raise argparse.ArgumentTypeError(f"must be 1 to {NUMBER_MAX}, not {value}")
    return value


def _slug(text: str) -> str:
    if not re.fullmatch(SLUG_PATTERN, text) or len(text) > 80:
        raise argparse.ArgumentTypeError(f"{text!r} is not a slug: use 1-80 letters, digits, hyphens and underscores")
    return text


def _one_line(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return "; ".join(exc.messages)


class Command(BaseCommand):
    help = "Dub a video file: catalog rows are created when missing; prints where the outputs are."

    def add_arguments(self, p):
        p.add_argument("video")
        p.add_argument("--series", required=True, type=_slug, help="series slug (created if missing)")
        p.add_argument("--season", type=_number, default=1)
        p.add_argument("--episode", type=_number, default=None, help="episode number (default: next free)")
        p.add_argument("--source", default=None, choices=sorted(LANGUAGES), metavar="LANG",
                       help="source language of a new series (ISO 639-1, default en)")
        p.add_argument("--target", default=None, choices=sorted(LANGUAGES), metavar="LANG",
                       help="target language (default: the series')")
        p.add_argument("--mode", choices=["low", "medium", "high"], default=None)
        p.add_argument("--two-pass", choices=["on", "off"], default=None)
        p.add_argument("--sync", action="store_true", help="run here instead of through the queue")
        p.add_argument("--no-wait", action="store_true", help="queue it and return at once")
        p.add_argument("--out", default=None, help="copy MKV/MP4/SRT/VTT/manifests + segments.json here")
        p.add_argument("--json", action="store_true", help="print one JSON object at the end")
        p.add_argument("--user", default=None, help="act as this user (default: the first admin)")

    def handle(self, *args, **o):
        quiet = o["json"]
        try:
            job = self._submit(o)
        except ApplicationError as exc:
            detail = "; ".join(f"{field}: {reason}" for field, reason in exc.fields.items()
                               if str(reason) not in exc.message)  # say each reason once
            raise CommandError(f"{exc.message} ({detail})" if detail else exc.message) from exc
        except ValidationError as exc:
            raise CommandError(_one_line(exc)) from exc
        except (MediaError, OSError) as exc:  # the video cannot be read, ffmpeg is missing...
            raise CommandError(str(exc)) from exc
        say = (lambda *_: None) if quiet else self.stdout.write
        say(f"job {job.pk} submitted for {job.episode} (mode {job.mode}, two-pass {'on' if job.two_pass else 'off'})")
        progress = None if quiet else (lambda name, done, total: sys.stdout.write(_bar(done, total, name)) or sys.stdout.flush())
        if o["sync"]:
            run_job(job.pk, on_stage=progress)
        elif o["no_wait"]:
            return
        else:
            self._wait(job, progress)
        job.refresh_from_db()
        if progress:
            sys.stdout.write(_bar(1, 1, job.state) + "\n")
        if o["out"] and job.outputs:
            try:
                for path in export_outputs(job, o["out"]):
                    say(f"  wrote {path}")
            except OSError as exc:
                raise CommandError(f"cannot write to --out {o['out']}: {exc.strerror or exc}") from exc
        summary = job_summary(job)
        if quiet:
            self.stdout.write(json.dumps(summary, indent=2))
        else:
            say(f"job {job.pk}: {job.state}" + (f" ({job.error})" if job.error else ""))
            for key, path in summary["outputs"].items():
                say(f"  {key:14s} {path}")
        if job.state != "succeeded":
            raise CommandError(f"job {job.pk} {job.state}: {job.error}")

    def _actor(self, username):
        User = get_user_model()
        if username:
            user = User.objects.filter(username=username, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {username!r}")
            return user
        user = (User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
                or User.objects.filter(groups__name="admin", is_active=True).order_by("pk").first())
        if user is None:
            raise CommandError("no admin user: run `manage.py createsuperuser` or `manage.py demo`, or pass --user")
        return user

    def _submit(self, o) -> Job:
        video = Path(o["video"])
        if not video.is_file():
            raise CommandError(f"{video}: no such file")
        actor = self._actor(o["user"])
        # One transaction: a refused episode (empty, corrupt, ...) rolls back a series or season made for
        # it. episode_create checks the file before storing it, and is the last write here.
        with transaction.atomic():
            series = Series.objects.filter(slug=o["series"]).first()
            if series is None:
                series = series_create(actor=actor, slug=o["series"], title=o["series"].replace("-", " ").title(),
                                       source_language=o["source"] or "en", target_language=o["target"] or "en")
            episode = self._episode(actor, series, video, o)
        two_pass = {"on": True, "off": False}.get(o["two_pass"] or "")
        return job_submit(actor=actor, episode=episode, mode=o["mode"], two_pass=two_pass,
                          target_language=o["target"], enqueue_task=not o["sync"])

    @staticmethod
    def _episode(actor, series, video: Path, o) -> Episode:
        number = o["episode"]
        season = Season.objects.filter(series=series, number=o["season"]).first()
        episode = Episode.objects.filter(season=season, number=number).first() if season and number else None
        if episode is None:
            if number is None:
                last = Episode.objects.filter(season=season).order_by("-number").first() if season else None
                number = (last.number + 1) if last else 1
            with open(video, "rb") as fh:
                episode = episode_create(actor=actor, series=series, season_number=o["season"], number=number,
                                         upload=File(fh, name=video.name), title=video.stem)
        return episode

    def _wait(self, job: Job, progress) -> None:
        seen = None
        while True:
            job.refresh_from_db()
            if job.is_terminal:
                return
            if progress and (job.current_stage, job.progress) != seen:
                seen = (job.current_stage, job.progress)
                sys.stdout.write(f"\r[{'#' * int(30 * job.progress):<30}] {job.progress:4.0%} {job.current_stage:<12}")
                sys.stdout.flush()
            time.sleep(1.0)
