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

__all__ = ["ALLOWED_EXTENSIONS", "CheckedUpload", "check_filename", "check_upload"]

ALLOWED_EXTENSIONS = {".mkv", ".mp4", ".mov", ".m4v", ".webm", ".avi", ".ts", ".wav", ".flac", ".mp3", ".m4a",
                      ".ogg", ".opus", ".aac"}
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class CheckedUpload:
    name: str  # safe storage file name
    original_name: str
    size: int
    sha256: str
    probe: ffmpeg.Probe


def check_filename(name: str) -> str:
    """Refuse names that try to leave the upload folder; return a safe storage name."""
    if not name or "\x00" in name:
        raise Invalid("the file name is empty or contains a NUL byte", fields={"file": "bad file name"})
    if "/" in name or "\\" in name or ".." in Path(name).parts or name.startswith(".."):
        raise Invalid("the file name must not contain a path (\"/\", \"\\\" or \"..\")",
                      fields={"file": "path traversal in file name"})
    stem, ext = os.path.splitext(name)
    ext = ext.lower()
    if ext not in ALLOWED_EXTENSIONS:
        raise Invalid(f"unsupported file type {ext or '(none)'}; allowed: {', '.join(sorted(ALLOWED_EXTENSIONS))}",
                      fields={"file": "unsupported file type"})
    safe_stem = _SAFE.sub("_", stem).strip("._") or "episode"
    return f"{safe_stem[:100]}{ext}"


def _local_copy(upload) -> tuple[str, bool]:
    """A path ffprobe can read: the temporary upload file, or a copy of an in-memory upload."""
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path(), False
    fd, path = tempfile.mkstemp(suffix=Path(upload.name or "").suffix)
    with os.fdopen(fd, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path, True


def check_upload(upload, *, limit: int | None = None) -> CheckedUpload:
    """Validate an UploadedFile; raise Invalid/TooLarge with a message a user can act on."""
    name = check_filename(upload.name or "")
    size = int(upload.size or 0)
    if size == 0:
        raise Invalid("the file is empty", fields={"file": "empty file"})
    limit = limit or settings.DUBSITE_MAX_UPLOAD_BYTES
    if size > limit:
        raise TooLarge(f"the file is {size / 2**20:.1f} MiB; the limit is {limit / 2**20:.1f} MiB",
                       fields={"file": "file too large"})
    path, is_copy = _local_copy(upload)
    try:
        try:
            info = ffmpeg.probe(path)
            ffmpeg.require_audio(info)
        except EngineUnavailable as exc:
            raise Invalid(f"cannot check the file: {exc}") from exc
        except InvalidMediaError as exc:
            reason = str(exc).split(": ", 1)[-1]
            raise Invalid(f"{name}: {reason}", fields={"file": reason}) from exc
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    finally:
        if is_copy:
            os.unlink(path)
    upload.seek(0)
    return CheckedUpload(name=name, original_name=upload.name, size=size, sha256=digest.hexdigest(), probe=info)
