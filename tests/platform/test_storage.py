"""dubsite.storage: delete after commit, through the storage API."""
from __future__ import annotations

import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from dubsite.storage import delete_after_commit, delete_tree, delete_tree_after_commit, tree_size, walk

pytestmark = pytest.mark.django_db


def put(name: str, size: int) -> str:
    return default_storage.save(name, ContentFile(os.urandom(size)))


def test_tree_helpers_walk_measure_and_delete_through_the_storage_api(isolated_storage):
    media, _ = isolated_storage
    names = [put("jobs/5/audio.wav", 10), put("jobs/5/stems/dialogue.wav", 20), put("jobs/5/a/b/c.json", 5),
             put("jobs/50/other.wav", 7)]
    assert sorted(walk("jobs/5")) == sorted(names[:3])  # not jobs/50
    assert tree_size("jobs/5") == (35, 3) and tree_size("jobs/404") == (0, 0)
    assert delete_tree("jobs/5") == (3, 35)
    assert not (media / "jobs" / "5").exists()  # no empty folders left on local storage
    assert default_storage.exists(names[3])
    with pytest.raises(ValueError):
        tree_size("../etc")


def test_deletes_wait_for_the_commit_and_a_rollback_deletes_nothing(isolated_storage,
                                                                    django_capture_on_commit_callbacks):
    kept, gone = put("episodes/x/s01/kept.mp4", 3), put("episodes/x/s01/gone.mp4", 3)
    tree = put("jobs/9/audio.wav", 3)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            delete_after_commit([kept])
            raise RuntimeError("rolled back")
        with transaction.atomic():
            delete_after_commit([gone])
            delete_tree_after_commit("jobs/9")
            assert default_storage.exists(gone) and default_storage.exists(tree)  # not before the commit
    assert default_storage.exists(kept)
    assert not default_storage.exists(gone) and not default_storage.exists(tree)
