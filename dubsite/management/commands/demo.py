"""`manage.py demo [--submit]`: demo users (one per role), a demo series with a generated
episode, and optionally a job for it. Idempotent: existing rows are kept."""
from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files import File
from django.core.management.base import BaseCommand
from django.db import transaction

from dubsite.roles import ROLES, sync_role_groups

DEMO_SLUG = "demo"


class Command(BaseCommand):
    help = "Create demo users per role and a demo episode (generated from bundled voices); --submit dubs it."

    def add_arguments(self, parser):
        parser.add_argument("--submit", action="store_true", help="submit a job for the demo episode if it has none")
        parser.add_argument("--sync", action="store_true", help="with --submit: run the job here instead of the queue")

    def handle(self, submit: bool, sync: bool, **options):
        sync_role_groups(Group, Permission)
        users = self._users()
        episodes = self._episodes(users["admin"])
        if submit:  # in order: episode 2's voice memory needs episode 1's characters
            for episode in episodes:
                self._submit(users["operator"], episode, sync)

    def _users(self) -> dict:
        User = get_user_model()
        users = {}
        for role in ROLES:
            username = f"demo_{role}"
            user = User.objects.filter(username=username).first()
            if user is None:
                password = secrets.token_urlsafe(12)
                user = User.objects.create_user(username, password=password, is_staff=True,
                                                is_superuser=False)
                user.groups.add(Group.objects.get(name=role))
                self.stdout.write(f"created user {username:15s} password {password}   (shown once)")
            else:
                self.stdout.write(f"user {username} exists (its password was printed when it was created)")
            users[role] = user
        return users

    def _episodes(self, admin) -> list:
        from media.demo import SCRIPT, SCRIPT_2
        from series.models import Series
        from series.services import series_create

        series = Series.objects.filter(slug=DEMO_SLUG).first()
        if series is None:
            series = series_create(actor=admin, slug=DEMO_SLUG, title="Demo Station", source_language="en",
                                   target_language="en", default_mode="medium")
        return [self._episode(admin, series, 1, "The Night Train", SCRIPT),
                self._episode(admin, series, 2, "The Engine Room", SCRIPT_2)]

    def _episode(self, admin, series, number: int, title: str, script):
        from media.demo import build_demo_episode
        from series.models import Episode
        from series.services import episode_create

        episode = Episode.objects.filter(season__series=series, season__number=1, number=number).first()
        if episode is None:
            path = Path(settings.VAR_DIR) / "demo" / f"demo_s01e{number:02d}.mp4"
            if not path.exists():
                self.stdout.write(f"generating demo episode {number} (Piper + espeak-ng over a music bed)…")
                build_demo_episode(path, script=script)
            with open(path, "rb") as fh:
                episode = episode_create(actor=admin, series=series, season_number=1, number=number,
                                         upload=File(fh, name=path.name), title=title)
            self.stdout.write(f"created episode {episode} ({episode.duration:.1f} s)")
        else:
            self.stdout.write(f"episode {episode} exists")
        return episode

    def _submit(self, operator, episode, sync: bool):
        from jobs.models import Job
        from jobs.services import job_submit

        job = Job.objects.filter(episode=episode).order_by("-created").first()
        if job is None:
            with transaction.atomic():
                job = job_submit(actor=operator, episode=episode, enqueue_task=not sync)
            self.stdout.write(f"submitted job {job.pk} for {episode}")
            if sync:
                from jobs.runner import run_job

                self.stdout.write(f"job {job.pk}: {run_job(job.pk)}")
        else:
            self.stdout.write(f"job {job.pk} for {episode} exists ({job.state})")
