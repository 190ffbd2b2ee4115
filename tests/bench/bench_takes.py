"""Review loop latency: edit a line → regenerate it → its take is playable, through the API in one
process (as a web worker serves it), with the bundled Piper voice; and the duration budget's
accuracy and speed.

    .venv/bin/python tests/bench/bench_takes.py [--lines 24]

Per line: PATCH the text (a new version), POST regenerate with that version (synthesis + fit +
storage + the Take row), GET the take's audio with `Range: bytes=0-` (what <audio> asks first).
The first line pays the voice's load (reported apart); p50/p95 are over the following lines.
Budget accuracy: its estimate against the voice's real spoken length, on sentences that are not
its calibration sentences. Runs on a throwaway SQLite database.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
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

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from jobs.models import Job, JobState  # noqa: E402
from media.tts import TtsRequest, VoiceSpec, synthesize  # noqa: E402
from review.models import Segment  # noqa: E402
from tests.factories import make_episode, make_user  # noqa: E402

SENTENCES = [
    "Hello there.", "How are you doing this fine evening?", "She found a small black cat under the kitchen table.",
    "Get out of here, now!", "I told you three times already: the key is under the mat.",
    "Do you really think he will come back after everything that happened?", "Okay.", "Run!",
    "The meeting has been moved to Thursday afternoon, right after lunch.",
    "My brother lives in a little house near the river.", "What time is it?",
    "We need to find the map before sunset, or we will be lost in the forest.", "Absolutely not.",
    "Listen to me. This is important. Do not open that door.", "I can't believe you did that!",
    "Somebody has been eating my porridge, and it was still hot.", "Let's go home.", "Are you sure about this?",
    "The scientists announced a remarkable discovery in the depths of the ocean.",
    "Maybe tomorrow, if the weather is nice.", "Where did you put my glasses?", "That is not what I said.",
    "Come quickly, the doctor is waiting for you downstairs.", "Good night, and thank you for everything.",
]
PIPER = VoiceSpec("piper", "en_US-joe-medium")
CPU: list[float] = []


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def make_lines(count: int) -> tuple[Job, list[Segment]]:
    episode = make_episode(VAR, seconds=2.0)
    job = Job.objects.create(episode=episode, state=JobState.SUCCEEDED)
    lines, at = [], 0.0
    for i in range(count):
        text = SENTENCES[i % len(SENTENCES)]
        slot = max(0.08 * len(text), 0.8)  # about the voice's own pace, so fits speed up and slow down both
        lines.append(Segment.objects.create(
            episode=episode, job_id=job.pk, index=i, start=at, end=at + slot, diar_label="S1",
            source_text=text, target_text=text,
            voice_plan={"voice": PIPER.key, "source": "preset", "clone": False, "engine": "piper"}))
        at += slot + 0.5
    return job, lines


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (ffmpeg's stretch): what one line costs when
    it has the cores to itself (one inference thread, MEDIA_PIPER_THREADS), whatever else runs."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def edit_to_playable(client: Client, seg: Segment, text: str) -> tuple[float, float, dict]:
    began = time.perf_counter()
    cpu = cpu_seconds()
    edited = client.patch(f"/api/lines/{seg.pk}", {"target_text": text, "version": seg.version},
                          content_type="application/json")
    assert edited.status_code == 200, edited.content
    regen_began = time.perf_counter()
    take = client.post(f"/api/lines/{seg.pk}/regenerate", {"version": edited.json()["version"]},
                       content_type="application/json")
    assert take.status_code == 201, take.content
    audio = client.get(take.json()["audio_url"], HTTP_RANGE="bytes=0-")
    assert audio.status_code == 206 and len(audio.content) > 1000
    done = time.perf_counter()
    CPU.append(cpu_seconds() - cpu)
    return done - began, done - regen_began, take.json()


def budget_accuracy(client: Client, seg: Segment) -> tuple[float, float, float]:
    """(mean, max relative error of the estimate vs real synthesis, p95 budget request seconds)."""
    errors, spent = [], []
    for text in SENTENCES[:20]:
        t0 = time.perf_counter()
        estimate = client.get(f"/api/lines/{seg.pk}/budget", {"text": text}).json()["estimated"]
        spent.append(time.perf_counter() - t0)
        real = synthesize(TtsRequest(text, "en", voice=PIPER)).duration
        errors.append(abs(estimate - real) / real)
    return statistics.mean(errors), max(errors), percentile(spent, 0.95)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=24)
    args = parser.parse_args()
    setup_test_environment()
    call_command("migrate", verbosity=0)
    job, lines = make_lines(args.lines + 1)
    client = Client()
    client.force_login(make_user("editor"))
    load_before = os.getloadavg()[0]
    cold, _, _ = edit_to_playable(client, lines[0], lines[0].target_text + " Again.")
    CPU.clear()
    loops, regens, providers = [], [], set()
    for seg in lines[1:]:
        seg.refresh_from_db()
        loop, regen, take = edit_to_playable(client, seg, seg.target_text.rstrip(".!?") + ", please.")
        loops.append(loop)
        regens.append(regen)
        providers.add(take["provider"])
    client.get(f"/api/lines/{lines[0].pk}/budget", {"text": "Warm."})  # calibrates the voice once
    mean_err, max_err, budget_p95 = budget_accuracy(client, lines[0])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}; "
          f"voice {PIPER.key}; providers {sorted(providers)}; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after (other processes compete for the cores when it is above ~1)")
    print(f"first line (loads the voice): {cold:.3f} s")
    print(f"\n| {len(loops)} lines | p50 s | p95 s | max s |")
    print("| --- | --- | --- | --- |")
    for name, values in (("edit → playable", loops), ("regenerate → playable", regens),
                         ("edit → playable, CPU seconds", CPU)):
        print(f"| {name} | {percentile(values, 0.5):.3f} | {percentile(values, 0.95):.3f} | {max(values):.3f} |")
    print(f"\nbudget: estimate vs real Piper length over 20 sentences: mean error {100 * mean_err:.1f} %, "
          f"max {100 * max_err:.1f} %; request p95 {1000 * budget_p95:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
