"""Test helper: find voice data at rest that is not encrypted, in a local folder or a storage prefix.

Voice data lives under folders named for it (`analysis/voice_refs`, `voices/`, `work/voice`,
`work/series_refs`); in them every file must be a Fernet token (`gAAAAA…`, base64 text), except the
refs' `manifest.json`. A WAV (RIFF/WAVE header), a NumPy array (`\\x93NUMPY`), a raw float blob (any
other binary) or a file named like a ref (`*.wav`, `*.npy`) there is a finding; a RIFF/WAVE file
named like a ref (`<label>.wav`, `<label>.clone.wav`) anywhere else is too.
"""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from django.core.files.storage import default_storage

__all__ = ["VOICE_FOLDERS", "plaintext_in_dir", "plaintext_in_storage", "voice_files_in_storage", "is_wav"]

VOICE_FOLDERS = (("analysis", "voice_refs"), ("voices",), ("work", "voice"), ("work", "series_refs"))
METADATA = {"manifest.json"}
FERNET = b"gAAAAA"
REF_NAME = re.compile(r"^[A-Za-z0-9_]+(\.clone)?\.wav$")


def is_wav(head: bytes) -> bool:
    return head[:4] == b"RIFF" or b"WAVE" in head[:16]


def _in_voice_folder(parts: tuple[str, ...]) -> bool:
    return any(parts[i:i + len(f)] == f for f in VOICE_FOLDERS for i in range(len(parts)))


def _finding(parts: tuple[str, ...], head: bytes) -> str | None:
    name = parts[-1]
    if _in_voice_folder(parts):
        if name in METADATA:
            return None
        if name.endswith((".wav", ".npy")):
            return "named like plaintext voice data"
        if is_wav(head) or head.startswith(b"\x93NUMPY"):
            return "plaintext audio or vector"
        if not head.startswith(FERNET):
            return "not a Fernet token"
        return None
    if REF_NAME.match(name) and is_wav(head) and ("voice" in "/".join(parts) or ".clone." in name):
        return "a ref WAV outside its folder"
    return None


def plaintext_in_dir(root: Path) -> dict[str, str]:
    """{path: why} for every plaintext voice file under a local folder (a work folder, MEDIA_ROOT)."""
    found = {}
    root = Path(root)
    for path in sorted(root.rglob("*")) if root.exists() else ():
        if path.is_file():
            with open(path, "rb") as fh:
                head = fh.read(32)
            why = _finding(path.relative_to(root).parts, head)
            if why:
                found[str(path)] = why
    return found


def _walk(prefix: str):
    dirs, files = default_storage.listdir(prefix)
    for name in files:
        yield f"{prefix}/{name}"
    for sub in dirs:
        yield from _walk(f"{prefix}/{sub}")


def plaintext_in_storage(prefix: str) -> dict[str, str]:
    """{name: why} for every plaintext voice file under a storage prefix (through the storage API,
    so it checks S3 as well as the local disk)."""
    found = {}
    if not default_storage.exists(prefix):
        return found
    for name in _walk(prefix.rstrip("/")):
        with default_storage.open(name, "rb") as fh:
            head = fh.read(32)
        why = _finding(PurePosixPath(name).parts, head)
        if why:
            found[name] = why
    return found


def voice_files_in_storage(prefix: str) -> list[str]:
    """Every file under a voice folder of the prefix, encrypted or not (privacy mode keeps none)."""
    if not default_storage.exists(prefix):
        return []
    return [n for n in _walk(prefix.rstrip("/"))
            if _in_voice_folder(PurePosixPath(n).parts) and PurePosixPath(n).name not in METADATA]
