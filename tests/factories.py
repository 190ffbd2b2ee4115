"""Test data: users per role, series, episodes built from real generated media, jobs."""
from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile

from series.models import Episode, Season, Series

_seq = itertools.count(1)
ROLES = ("viewer", "operator", "editor", "admin")


def ensure_roles() -> None:
    """Transactional tests flush the data-migration groups; put them back."""
    if Group.objects.count() < len(ROLES):
        from django.contrib.auth.models import Permission

        from dubsite.roles import sync_role_groups

        sync_role_groups(Group, Permission)


def make_user(role: str | None, *, staff: bool = True) -> User:
    ensure_roles()
    user = User.objects.create_user(f"{role or 'norole'}{next(_seq)}", password="pw-for-tests-only", is_staff=staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def make_video(path: Path, *, seconds: float = 2.0, audio: bool = True, video: bool = True) -> Path:
    """A real small media file from ffmpeg's lavfi sources."""
    args = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    if video:
        args += ["-f", "lavfi", "-i", f"testsrc=size=160x120:rate=10:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
    if video:
        args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-ac", "2"]
    subprocess.run(args + [str(path)], check=True, timeout=60)
    return path


def upload_of(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type="video/mp4")


def make_series(slug: str | None = None, **kw) -> Series:
    slug = slug or f"series-{next(_seq)}"
    return Series.objects.create(slug=slug, title=kw.pop("title", slug.title()), **kw)


def make_episode(tmp_path: Path, series: Series | None = None, *, number: int | None = None, seconds: float = 2.0,
                 audio: bool = True) -> Episode:
    """An episode row whose source is a real generated video (stored through the FileField)."""
    series = series or make_series()
    season, _ = Season.objects.get_or_create(series=series, number=1)
    src = make_video(tmp_path / f"ep{next(_seq)}.mp4", seconds=seconds, audio=audio)
    episode = Episode(season=season, number=number or next(_seq), source_name=src.name, source_size=src.stat().st_size)
    episode.source_video.save(src.name, upload_of(src), save=False)
    episode.save()
    return episode
