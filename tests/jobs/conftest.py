"""Fixtures for job tests: a real `qcluster` process on the test database."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest
from django.db import connection
from django_q.conf import Conf

from jobs.models import Job

REDIS_URL = os.environ.get("DUBSITE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_cluster(monkeypatch, broker: str = "orm", name: str | None = None, **extra_env: str) -> subprocess.Popen:
    """Start `manage.py qcluster` on the test database with a queue name of its own."""
    name = name or f"test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(),
           "DUBSITE_QUEUE_NAME": name, "DUBSITE_WORKERS": "1",
           "DUBSITE_TEST_HEARTBEAT_SECONDS": "1", **extra_env}
    env.pop("REDIS_URL", None)
    monkeypatch.setattr(Conf, "PREFIX", name)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", name)
    if broker == "redis":
        env["REDIS_URL"] = REDIS_URL
        monkeypatch.setattr(Conf, "ORM", None)
        monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    # a file, not a pipe: a chatty worker would block on a full pipe nobody reads
    log = tempfile.NamedTemporaryFile(prefix="qcluster-", suffix=".log", delete=False)
    proc = subprocess.Popen([sys.executable, "manage.py", "qcluster"], env=env, cwd=str(os.getcwd()),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log_path = log.name
    return proc


def cluster_log(proc) -> str:
    with open(proc.log_path, errors="replace") as fh:
        return fh.read()[-6000:]


def stop_cluster(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)  # the cluster's own graceful stop; its children follow
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture
def cluster(monkeypatch, request):
    proc = start_cluster(monkeypatch, getattr(request, "param", "orm"))
    yield proc
    stop_cluster(proc)


def wait_for(job: Job, proc, timeout: float = 120) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_terminal:
            return job
        if proc.poll() is not None:
            raise AssertionError("qcluster exited:\n" + cluster_log(proc))
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    raise AssertionError(f"job still {job.state} after {timeout} s:\n" + cluster_log(proc))


