"""A job's files over its life.

- Its artifacts in storage (`jobs/<id>/`) and its work folder go with its row, after the commit
  (`delete_job_files`, a post_delete receiver, so a series or episode delete cascades to them).
"""
from __future__ import annotations

from dubsite.storage import delete_tree_after_commit, remove_dir_after_commit

from .artifacts import Workspace
from .models import Job

__all__ = ["delete_job_files"]


def storage_prefix(job_id: int) -> str:
    return f"jobs/{job_id}"


def delete_job_files(sender, instance: Job, **kwargs) -> None:
    """post_delete of a Job (directly, or cascaded from its episode or series): its artifacts in
    storage and its work folder go after the commit."""
    delete_tree_after_commit(storage_prefix(instance.pk))
    remove_dir_after_commit(Workspace(instance.pk).root)
