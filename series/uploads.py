"""Validation of uploaded episode files: name, size, and content (ffprobe must find audio)."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from dubsite.errors import Invalid, TooLarge
from media import ffmpeg
from media.errors import EngineUnavailable, InvalidMediaError

__all__ = ["ALLOWED_EXTENSIONS", "CheckedUpload", "client_name", "check_filename", "check_upload"]

ALLOWED_EXTENSIONS = {".mkv", ".mp4", ".mov", ".m4v", ".webm", ".avi", ".ts", ".wav", ".flac", ".mp3", ".m4a",
                      ".ogg", ".opus", ".aac"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class CheckedUpload:
    name: str  # safe storage file name
    original_name: str  # the client's name, reduced to its last part (see client_name)
    size: int
    sha256: str
    probe: ffmpeg.Probe


def client_name(name: str) -> str:
    """The name a user gave the file, reduced the way Django's multipart parser reduces it: the last
    part after any `/` or `\\` (a name is a label, never a place), without non-printable characters
    (NUL, bidi overrides). Every caller, HTTP or not, gets this one rule."""
    name = re.split(r"[/\\]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return "" if name in {".", ".."} else name


def check_filename(name: str) -> str:
    """Refuse a nameless or unsupported file; return a safe storage name built from the base name."""
    name = client_name(name)
    if not name:
        raise Invalid("the file has no name", fields={"file": "the file name is empty"})
    stem, ext = os.path.splitext(name)
    ext = ext.lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise Invalid(f"unsupported file type {ext or '(none)'}; allowed: {', '.join(sorted(ALLOWED_EXTENSIONS))}",
                      fields={"file": "unsupported file type"})
    safe_stem = _SAFE.sub("_", stem).strip("._") or "episode"
    return f"{safe_stem[:100]}{ext}"


def _local_copy(upload, suffix: str) -> tuple[str, bool]:
    """A path ffprobe can read: the temporary upload file, or a copy of an in-memory upload."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path(), False
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path, True


def check_upload(upload, *, limit: int | None = None) -> CheckedUpload:
    """Validate an UploadedFile; raise Invalid/TooLarge with a message a user can act on."""
    name = check_filename(upload.name or "")
    shown = client_name(upload.name)[:255]
    size = int(upload.size or 0)
    if size == 0:
        raise Invalid("the file is empty", fields={"file": "empty file"})
    limit = limit or settings.DUBSITE_MAX_UPLOAD_BYTES
    if size > limit:
        raise TooLarge(f"the file is {size / 2**20:.1f} MiB; the limit is {limit / 2**20:.1f} MiB",
                       fields={"file": "file too large"})
    path, is_copy = _local_copy(upload, Path(name).suffix)
    try:
        try:
            info = ffmpeg.probe(path)
            ffmpeg.require_audio(info)
        except EngineUnavailable as exc:
            raise Invalid(f"cannot check the file: {exc}") from exc
        except InvalidMediaError as exc:
            # the probe names the file it read (a temporary copy): say the user's name instead
            reason = str(exc).split(": ", 1)[-1].replace(str(path), shown).replace(Path(path).name, shown)
            raise Invalid(f"{shown}: {reason}", fields={"file": reason}) from exc
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    finally:
        if is_copy:
            os.unlink(path)
    upload.seek(0)
    return CheckedUpload(name=name, original_name=shown, size=size, sha256=digest.hexdigest(), probe=info)
