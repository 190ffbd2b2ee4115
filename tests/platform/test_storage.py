"""dubsite.storage (delete after commit, through the storage API) and `manage.py storage report|clean`."""
from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction

from dubsite.models import AuditEvent
from dubsite.storage import delete_after_commit, delete_tree, delete_tree_after_commit, tree_size, walk
from jobs.models import Job, JobState
from jobs.runner import run_job
from jobs.services import job_submit
from jobs.stages import JobFailure
from jobs.stages.separate import SeparateStage
from media.audio import save
from series.services import character_create
from tests.conftest import files_under
from tests.factories import make_episode, make_series, make_user
from voices.services import voice_ref_store

pytestmark = pytest.mark.django_db


def put(name: str, size: int) -> str:
    return default_storage.save(name, ContentFile(os.urandom(size)))


def age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (then, then))


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


def populated(tmp_path, monkeypatch) -> tuple:
    """A series with an episode, a failed job (artifacts + a kept work folder) and a series ref."""
    series = make_series(slug="measured")
    episode = make_episode(tmp_path, series)
    def stop(self, ctx):
        raise JobFailure("stop after extract (test)")

    monkeypatch.setattr(SeparateStage, "run", stop)
    job = job_submit(actor=make_user("operator"), episode=episode, mode="low", two_pass=False, enqueue_task=False)
    assert run_job(job.pk) == JobState.FAILED
    rate = 22050
    wav = save(tmp_path / "ref.wav", (0.3 * np.sin(np.arange(3 * rate) / rate * 900)).astype(np.float32), rate)
    ref = voice_ref_store(actor=None, character=character_create(actor=None, series=series), wav=wav, source="job")
    return series, episode, job, ref


def report() -> dict:
    out = io.StringIO()
    call_command("storage", "report", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_report_figures_are_the_real_bytes(tmp_path, monkeypatch, isolated_storage):
    media, work = isolated_storage
    series, episode, job, ref = populated(tmp_path, monkeypatch)
    make_series(slug="empty")
    real = {"episode sources": files_under(media / "episodes" / "measured"),
            "job artifacts": files_under(media / "jobs" / str(job.pk)),
            "voice refs": files_under(media / "voices" / "measured"),
            "work folders": files_under(work / f"job_{job.pk}")}
    assert all(real.values())
    rows = {s["slug"]: s for s in report()["series"]}
    for category, files in real.items():
        assert rows["measured"]["categories"][category] == {"bytes": sum(files.values()), "files": len(files)}, category
    assert rows["measured"]["bytes"] == sum(files_under(media, work).values())
    assert rows["empty"]["bytes"] == 0 and report()["orphans"] == []

    out = io.StringIO()
    call_command("storage", "report", stdout=out)
    text = out.getvalue()
    assert "measured" in text and f"in series: {rows['measured']['bytes']} bytes" in text and "orphans: none" in text


def test_clean_removes_exactly_the_planted_orphans(tmp_path, monkeypatch, isolated_storage):
    media, work = isolated_storage
    series, episode, job, ref = populated(tmp_path, monkeypatch)
    planted = [put("jobs/99999/stems/dialogue.wav", 1000), put("episodes/measured/s01/ghost.mp4", 2000)]
    ghost_work = work / "job_88888"  # a work folder of a job that no longer exists
    (ghost_work / "stems").mkdir(parents=True)
    (ghost_work / "stems" / "dialogue.wav").write_bytes(b"w" * 300)
    for name in planted:
        age(media / name, 2)
    age(media / "jobs" / "99999", 2)
    fresh = put("voices/measured/CHAR_0009/fresh.wav.fernet", 50)  # may be an upload about to commit: stays
    legit = files_under(media, work)

    found = {o["name"]: o for o in report()["orphans"]}
    assert set(found) == {"jobs/99999/", "episodes/measured/s01/ghost.mp4", str(ghost_work), fresh}
    assert found[fresh]["too_new"] and not found["jobs/99999/"]["too_new"]
    assert found["jobs/99999/"]["reason"] == "no job 99999" and found[str(ghost_work)]["reason"] == "job deleted"
    assert found["jobs/99999/"]["bytes"] == 1000 and found[str(ghost_work)]["bytes"] == 300

    out = io.StringIO()
    call_command("storage", "clean", "--dry-run", stdout=out)
    assert files_under(media, work) == legit and "would free 3300 bytes" in out.getvalue()
    assert not AuditEvent.objects.filter(action="storage.clean").exists()

    out = io.StringIO()
    call_command("storage", "clean", stdout=out)
    text = out.getvalue()
    expected = {k: v for k, v in legit.items()
                if not (k.startswith(str(media / "jobs" / "99999")) or k.endswith("ghost.mp4")
                        or k.startswith(str(ghost_work)))}
    assert files_under(media, work) == expected  # exactly the three orphans went, nothing else
    assert len(legit) - len(expected) == 3
    assert "freed 3300 bytes" in text and "removed storage jobs/99999/" in text and "no job 99999" in text
    assert not (media / "jobs" / "99999").exists() and not ghost_work.exists()
    assert default_storage.exists(fresh) and default_storage.exists(ref.blob)
    assert Job.objects.filter(pk=job.pk).exists() and (work / f"job_{job.pk}").is_dir()  # kept: not expired yet
    audit = AuditEvent.objects.get(action="storage.clean")
    assert audit.actor is None and audit.new["bytes"] == 3300 and audit.new["files"] == 3
    assert sorted(audit.new["removed"]) == sorted(["jobs/99999/", "episodes/measured/s01/ghost.mp4", str(ghost_work)])

    out = io.StringIO()
    call_command("storage", "clean", "--min-age", "0", stdout=out)  # now the young one too
    assert not default_storage.exists(fresh) and "freed 50 bytes" in out.getvalue()
