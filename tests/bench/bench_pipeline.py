"""End-to-end benchmark on a composite episode (every eval recording, 9 people, over a music bed,
the list 3 times: 5.7 minutes): real-time factor per mode, seconds per stage and pass, pass 2
relative to pass 1, QC's share, orchestration overhead, and each mode's peak memory (each mode
runs in its own process, so its peak is its own).

    .venv/bin/python tests/bench/bench_pipeline.py [--modes low high] [--repeats 3]

Runs the jobs inline (as `manage.py dub --sync` does) on a throwaway SQLite database.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
VAR = Path(tempfile.mkdtemp(prefix="dubsite-bench-"))
os.environ.setdefault("DUBSITE_TEST_VAR_DIR", str(VAR))
os.environ.setdefault("MODELS_DIR", str(ROOT / "var" / "models"))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
os.environ["DATABASE_URL"] = f"sqlite:///{VAR / 'bench.sqlite3'}"

import django  # noqa: E402

django.setup()

from django.core.files import File  # noqa: E402
from django.core.management import call_command  # noqa: E402

from jobs.models import Job  # noqa: E402
from jobs.runner import run_job  # noqa: E402
from jobs.services import job_submit  # noqa: E402
from series.services import episode_create, series_create  # noqa: E402
from tests.conftest import find_eval_data  # noqa: E402
from tests.factories import make_user  # noqa: E402
from tests.composite import build_composite  # noqa: E402


def run(mode: str, scene, admin, operator) -> dict:
    series = series_create(actor=admin, slug=f"bench-{mode}", title=f"Bench {mode}")
    with open(scene.video, "rb") as fh:
        episode = episode_create(actor=admin, series=series, season_number=1, number=1,
                                 upload=File(fh, name="scene.mp4"))
    job = job_submit(actor=operator, episode=episode, mode=mode, enqueue_task=False)
    began = time.monotonic()
    state = run_job(job.pk)
    wall = time.monotonic() - began
    job = Job.objects.get(pk=job.pk)
    runs = list(job.stage_runs.select_related("pass_obj"))
    per_pass = {n: sum(r.duration or 0 for r in runs if r.pass_obj.number == n) for n in (1, 2)}
    stages = {f"{r.name}@{r.pass_obj.number}": r.duration for r in runs}
    from jobs.qc_views import load_qc

    qc = load_qc(job) or {}
    return {"qc": qc, "mode": mode, "state": state, "error": job.error, "two_pass": job.two_pass, "wall": wall, "rtf": wall / scene.duration,
            "pass1": per_pass[1], "pass2": per_pass[2], "overhead": wall - sum(per_pass.values()),
            "stages": stages, "engines": {r.name: r.engines for r in runs},
            "asr": next((e.message for e in job.events.filter(message__startswith="asr: ")), ""),
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def one(mode: str, repeats: int, out: Path) -> int:
    """One mode in this process (its peak memory is the process's): the result as JSON in `out`."""
    call_command("migrate", verbosity=0)
    scene = build_composite(find_eval_data(), VAR / "scene", repeats=repeats, video=True)
    admin, operator = make_user("admin"), make_user("operator")
    result = run(mode, scene, admin, operator)
    out.write_text(json.dumps(result, default=str))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--modes", nargs="+", default=["low", "high"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    eval_dir = find_eval_data()
    if eval_dir is None:
        print("evaluation recordings not found (../shared/eval-data or DUBSITE_EVAL_DATA)")
        return 1
    if args.one:
        return one(args.one, args.repeats, Path(args.out))
    rows = []
    for mode in args.modes:
        out = VAR / f"{mode}.json"
        # a process per mode: its own throwaway VAR folder and database, and its own peak memory
        env = {k: v for k, v in os.environ.items() if k not in ("DUBSITE_TEST_VAR_DIR", "DATABASE_URL", "DUBSITE_VAR_DIR",
                                                                  "DUBSITE_MEDIA_ROOT", "DUBSITE_WORK_DIR")}
        subprocess.run([sys.executable, __file__, "--one", mode, "--repeats", str(args.repeats), "--out", str(out)],
                       check=True, env=env, timeout=3600)
        rows.append(json.loads(out.read_text()))
    duration = rows[0]["wall"] / rows[0]["rtf"]
    print(f"episode: {duration:.1f} s composite (every eval recording x{args.repeats}, 9 people, over music); "
          f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print("\n| mode | two-pass | wall s | RTF | pass 1 s | pass 2 s | pass 2 / pass 1 | overhead s | peak MiB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        ratio = f"{r['pass2'] / r['pass1']:.2f}" if r["pass2"] else "-"
        print(f"| {r['mode']} | {'on' if r['two_pass'] else 'off'} | {r['wall']:.1f} | {r['rtf']:.2f} | "
              f"{r['pass1']:.1f} | {r['pass2']:.1f} | {ratio} | {r['overhead']:.2f} | {r['peak_mib']:.0f} |")
    names = list(dict.fromkeys(k.split("@")[0] for r in rows for k in r["stages"]))
    print("\n| stage | " + " | ".join(f"{r['mode']} pass {n} s" for r in rows for n in (1, 2)) + " |")
    print("| --- |" + " --- |" * (2 * len(rows)))
    for name in names:
        cells = []
        for r in rows:
            for n in (1, 2):
                v = r["stages"].get(f"{name}@{n}")
                cells.append(f"{v:.1f}" if v is not None else "-")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\n| mode | pass | qc s | pass s | qc share of the pass (goal ≤ 15 %) |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        for n in (1, 2):
            qc = r["stages"].get(f"qc@{n}")
            total = r[f"pass{n}"]
            if qc is not None and total:
                print(f"| {r['mode']} | {n} | {qc:.1f} | {total:.1f} | {100 * qc / total:.0f} % |")
    for r in rows:
        parts = r["qc"].get("seconds_by_part") or {}
        print(f"{r['mode']}, last pass, QC seconds by part: " + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()))
    print("\n| mode | QC verdict | lines | flagged (wer/voice/timing/level) | mean round-trip WER | coverage | LUFS / dBTP |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        qc = r["qc"]
        if not qc:
            continue
        lines = qc["lines"]
        wers = [ln["wer"] for ln in lines if ln.get("wer") is not None]
        fails = qc["episode"]["failures"]
        loud = qc["episode"]["loudness"]
        print(f"| {r['mode']} | {qc['verdict']} | {len(lines)} | {sum(1 for ln in lines if ln['flags'])} "
              f"({fails['qc_wer']}/{fails['qc_voice']}/{fails['qc_timing']}/{fails['qc_level']}) | "
              f"{sum(wers) / max(len(wers), 1):.2f} | {qc['episode']['coverage']} | "
              f"{loud['integrated_lufs']} / {loud['true_peak_dbtp']} |")
    for r in rows:
        print(f"\n{r['mode']} ({r['state']}{': ' + r['error'] if r['error'] else ''}); engines: "
              + "; ".join(f"{k}: {v}" for k, v in r["engines"].items() if v))
        print(r.get("asr", ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
