"""A worker killed mid-stage: the job resumes at that stage, finished stages are not redone,
and its lines equal those of the same file dubbed inline with `manage.py dub --sync`."""
from __future__ import annotations

import json
import os
import signal
import time
import pytest
from django.core.files import File
from django.core.management import call_command

from jobs.models import Job, JobState, StageRun, StageState
from jobs.services import job_submit
from review.models import Segment
from series.services import episode_create
from tests.factories import make_series, make_user
from tests.jobs.conftest import cluster_log, start_cluster, stop_cluster, wait_for
from tests.jobs.scene import build_scene

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
BEFORE_ASR = ["extract", "separate", "diarize", "refs", "identify"]


def lines(job_id: int) -> list[tuple]:
    return list(Segment.objects.filter(job_id=job_id).order_by("index")
                .values_list("start", "end", "diar_label", "source_text", "target_text"))


def test_killed_worker_resumes_and_matches_the_inline_run(eval_dir, tmp_path, monkeypatch, capsys):
    scene = build_scene(eval_dir, tmp_path / "scene")
    admin = make_user("admin")

    call_command("dub", str(scene.video), "--series", "inline", "--mode", "low", "--two-pass", "off", "--sync",
                 "--json", "--user", admin.username, "--out", str(tmp_path / "out"))
    summary = json.loads(capsys.readouterr().out)
    assert summary["state"] == "succeeded" and summary["speakers"]
    exported = json.loads((tmp_path / "out" / "segments.json").read_text())
    assert [row["source_text"] for row in exported] == [line[3] for line in lines(summary["job"])]
    assert {"dub.mkv", "dub.mp4", "tts_manifest.json", "refs_manifest.json"} <= set(os.listdir(tmp_path / "out"))

    with open(scene.video, "rb") as fh:
        episode = episode_create(actor=admin, series=make_series(slug="queued"), season_number=1, number=1,
                                 upload=File(fh, name="scene.mp4"))
    hold = tmp_path / "held-in-asr"
    first = start_cluster(monkeypatch, DUBSITE_TEST_HOLD_STAGE="asr", DUBSITE_TEST_HOLD_FILE=str(hold))
    try:
        job = job_submit(actor=make_user("operator"), episode=episode, mode="low", two_pass=False)
        deadline = time.monotonic() + 240
        while not hold.exists():  # the worker is inside asr and waits there
            assert time.monotonic() < deadline, cluster_log(first)
            assert first.poll() is None, cluster_log(first)
            time.sleep(0.1)
        assert StageRun.objects.get(job=job, name="asr").state == StageState.RUNNING
        os.killpg(first.pid, signal.SIGKILL)  # the machine dies mid-stage
        first.wait(timeout=10)
    finally:
        stop_cluster(first)
    job.refresh_from_db()
    assert job.state == JobState.RUNNING
    done = {r.name for r in StageRun.objects.filter(job=job, state=StageState.SUCCEEDED)}
    assert set(BEFORE_ASR) <= done and "segments" not in done

    # nobody calls the recovery: a cluster starting on this host sees the dead worker at once
    started = time.monotonic()
    second = start_cluster(monkeypatch)
    try:
        while Job.objects.get(pk=job.pk).state == JobState.RUNNING and Job.objects.get(pk=job.pk).recoveries == 0:
            assert time.monotonic() - started < 60, cluster_log(second)
            assert second.poll() is None, cluster_log(second)
            time.sleep(0.1)
        detected = time.monotonic() - started
        print(f"lost worker detected {detected:.1f} s after the new cluster started")
        job = wait_for(job, second, timeout=300)
    finally:
        stop_cluster(second)
    assert job.recoveries == 1
    assert job.state == JobState.SUCCEEDED, job.error
    for name in BEFORE_ASR:
        assert StageRun.objects.filter(job=job, name=name).count() == 1, name  # not redone
    asr = list(StageRun.objects.filter(job=job, name="asr").order_by("id").values_list("state", "error"))
    assert asr[-1][0] == StageState.SUCCEEDED and (StageState.FAILED, "worker lost mid-stage") in asr[:-1]
    assert job.events.filter(message__contains="worker process gone (seen on its host) during asr; re-queued").exists()
    assert lines(job.pk) == lines(summary["job"])
