"""A job's files: a local workspace for engines (which need paths) and Django storage for keeps.

Storage layout per job: `jobs/<id>/<relative name>` (audio.wav, stems/…, dub.mkv, …). Engines
write into the workspace; `publish` copies a file into storage so it survives the worker and
can be served (local disk by default, S3 through django-storages).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from .events import public

__all__ = ["Workspace", "WorkspaceUnusable", "storage_name", "source_path"]


class WorkspaceUnusable(Exception):
    """The job's local work folder cannot be created or written (permissions, full disk)."""


def _safe_relative(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"artifact path {rel!r} must be relative and stay inside the job folder")
    return path


def storage_name(job_id: int, rel: str) -> str:
    return f"jobs/{job_id}/{_safe_relative(rel)}"


class Workspace:
    def __init__(self, job_id: int):
        self.job_id = job_id
        self.root = (Path(settings.DUBSITE_WORK_DIR) / f"job_{job_id}").resolve()

    def check(self) -> None:
        """Fail early, with a reason an operator can act on, when engines could not write here."""
        probe = self.root / ".writable"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            raise WorkspaceUnusable(f"the job's work folder {public(str(self.root))} is not usable: "
                                    f"{exc.strerror or exc}") from exc

    def path(self, rel: str) -> Path:
        """Local path of an artifact, resolved inside the workspace (never outside it)."""
        target = (self.root / _safe_relative(rel)).resolve()
        if not target.is_relative_to(self.root):
            raise ValueError(f"artifact path {rel!r} leaves the workspace")
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def publish(self, rel: str) -> str:
        """Copy a workspace file into storage under its job folder, replacing an older copy.

        JSON outside `work/` is public (downloads, API): server paths in it, e.g. in engines'
        fallback notes, are redacted first, in the workspace copy too so both stay alike."""
        name = storage_name(self.job_id, rel)
        if rel.endswith(".json") and not rel.startswith("work/"):
            local = self.path(rel)
            local.write_text(json.dumps(public(json.loads(local.read_text())), indent=2))
        if default_storage.exists(name):
            default_storage.delete(name)
        with open(self.path(rel), "rb") as fh:
            saved = default_storage.save(name, File(fh, name=PurePosixPath(name).name))
        return saved

    def ensure_local(self, rel: str) -> Path:
        """The workspace copy of an artifact, fetched from storage when this worker lacks it."""
        local = self.path(rel)
        if not local.exists():
            name = storage_name(self.job_id, rel)
            if not default_storage.exists(name):
                raise FileNotFoundError(f"artifact {rel} is missing from the workspace and from storage")
            with default_storage.open(name, "rb") as src, open(local, "wb") as dst:
                shutil.copyfileobj(src, dst)
        return local

    def url(self, rel: str) -> str | None:
        name = storage_name(self.job_id, rel)
        return default_storage.url(name) if default_storage.exists(name) else None

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def source_path(episode, workspace: Workspace) -> Path:
    """A local path to the episode's source file (direct on local storage, else downloaded)."""
    field = episode.source_video
    try:
        return Path(field.path)
    except NotImplementedError:  # remote storage: no local path
        local = workspace.path(f"source/{PurePosixPath(field.name).name}")
        if not local.exists():
            with field.open("rb") as src, open(local, "wb") as dst:
                shutil.copyfileobj(src, dst)
        return local
