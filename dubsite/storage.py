"""Deleting and measuring stored files, through the storage API so that S3 works as local disk does.

Files go with their rows: the code that deletes a row (a service, or a `post_delete` receiver for
cascades) asks for its files to be deleted *after the transaction commits*; a rollback deletes
nothing. A failed file delete is logged and leaves an orphan that `manage.py storage clean` finds.
This module imports no app of ours, so every app may use it.
"""
from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath

from django.core.files.storage import default_storage
from django.db import transaction

__all__ = ["delete_after_commit", "delete_tree_after_commit", "remove_dir_after_commit", "walk", "tree_size",
           "delete_names", "delete_tree", "dir_size", "remove_dir"]

log = logging.getLogger("dubsite.storage")


def _prefix(prefix: str) -> str:
    path = PurePosixPath(prefix)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"storage prefix {prefix!r} must be a relative folder")
    return str(path)


def walk(prefix: str) -> Iterator[str]:
    """Storage names of every file under a folder (recursive `listdir`; an absent folder is empty)."""
    prefix = _prefix(prefix)
    try:
        dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:  # local storage: the folder does not exist (S3 just lists nothing)
        return
    for name in files:
        yield f"{prefix}/{name}"
    for sub in dirs:
        yield from walk(f"{prefix}/{sub}")


def tree_size(prefix: str) -> tuple[int, int]:
    """(bytes, files) under a storage folder."""
    size = count = 0
    for name in walk(prefix):
        size += default_storage.size(name)
        count += 1
    return size, count


def delete_names(names: Iterable[str]) -> tuple[int, int]:
    """Delete storage files now; (files, bytes) deleted. A failure is logged, the rest go on."""
    files = freed = 0
    for name in names:
        if not name:
            continue
        try:
            size = default_storage.size(name) if default_storage.exists(name) else None
            default_storage.delete(name)
        except Exception:  # one unreachable file must not keep the others; `storage clean` retries it
            log.warning("could not delete %s from storage", name, exc_info=True)
            continue
        if size is not None:
            files, freed = files + 1, freed + size
    return files, freed


def _prune_empty_dirs(prefix: str) -> None:
    """Local storage keeps empty folders after its files are deleted; remote storage has none."""
    try:
        root = Path(default_storage.path(prefix))
    except NotImplementedError:
        return
    if not root.is_dir():
        return
    for folder, _, _ in sorted(os.walk(root), key=lambda entry: -len(entry[0])):  # deepest first
        try:
            os.rmdir(folder)
        except OSError:  # not empty: a file appeared meanwhile, or one could not be deleted
            pass


def delete_tree(prefix: str) -> tuple[int, int]:
    """Delete every file under a storage folder now; (files, bytes) deleted."""
    result = delete_names(list(walk(prefix)))
    _prune_empty_dirs(_prefix(prefix))
    return result


def delete_after_commit(names: Iterable[str]) -> None:
    """Delete these storage files once the current transaction commits (at once outside one)."""
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: delete_names(names), robust=True)


def delete_tree_after_commit(prefix: str) -> None:
    """Delete a storage folder and everything in it once the current transaction commits."""
    prefix = _prefix(prefix)
    transaction.on_commit(lambda: delete_tree(prefix), robust=True)


def dir_size(path: Path) -> tuple[int, int]:
    """(bytes, files) of a local folder (work folders; they never live in storage)."""
    size = count = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                size += os.lstat(os.path.join(folder, name)).st_size
            except OSError:  # removed while we looked
                continue
            count += 1
    return size, count


def remove_dir(path: Path) -> tuple[int, int]:
    """Remove a local folder now; (files, bytes) it held."""
    size, count = dir_size(path)
    shutil.rmtree(path, ignore_errors=True)
    if Path(path).exists():
        log.warning("could not remove all of %s", path)
    return count, size


def remove_dir_after_commit(path: Path) -> None:
    """Remove a local folder once the current transaction commits."""
    transaction.on_commit(lambda: remove_dir(Path(path)), robust=True)
