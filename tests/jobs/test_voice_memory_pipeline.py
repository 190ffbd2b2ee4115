"""Voice memory through whole jobs, with the real diarizer: trn07.wav as episode 1 and
trn08.wav as episode 2 of one series (the same four people of one AMI meeting)."""
from __future__ import annotations

import json
import subprocess

import pytest
from django.core.files import File

from jobs.artifacts import Workspace
from jobs.models import JobState
from jobs.runner import run_job
from jobs.services import job_submit
from series.services import episode_create
from tests.factories import make_series, make_user
from voices.models import EpisodeSpeaker

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def video_of(wav, out):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=black:s=160x120:r=10",
                    "-i", str(wav), "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(out)], check=True, timeout=120)
    return out


def rttm_talk(eval_dir, uri) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list] = {}
    for line in (eval_dir / "trn07_trn08.rttm").read_text().splitlines():
        p = line.split()
        if p[1] == uri:
            out.setdefault(p[7], []).append((float(p[3]), float(p[3]) + float(p[4])))
    return out


def label_of(job, person_turns) -> str:
    """The diarization label that overlaps this person's reference turns the most."""
    turns = json.loads(Workspace(job.pk).ensure_local("diarization.json").read_text())["turns"]
    best: dict[str, float] = {}
    for t in turns:
        for a, b in person_turns:
            best[t["speaker"]] = best.get(t["speaker"], 0.0) + max(0.0, min(b, t["end"]) - max(a, t["start"]))
    return max(best, key=best.get)


def run_episode(series, number, wav, tmp_path):
    with open(video_of(wav, tmp_path / f"ep{number}.mp4"), "rb") as fh:
        episode = episode_create(actor=make_user("admin"), series=series, season_number=1, number=number,
                                 upload=File(fh, name=f"ep{number}.mp4"))
    job = job_submit(actor=make_user("operator"), episode=episode, mode="low", two_pass=False, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED
    job.refresh_from_db()
    return job


def test_the_main_speaker_keeps_character_and_voice_into_episode_two(eval_dir, tmp_path):
    series = make_series()
    job1 = run_episode(series, 1, eval_dir / "trn07.wav", tmp_path)
    job2 = run_episode(series, 2, eval_dir / "trn08.wav", tmp_path)
    rows = {j.pk: {r.label: r for r in EpisodeSpeaker.objects.filter(job_id=j.pk).select_related("character")}
            for j in (job1, job2)}
    for j in (job1, job2):
        print(f"job {j.pk}:", {k: (r.character.code, r.provider, r.similarity, r.flagged) for k, r in rows[j.pk].items()})
    # FEE087 talks most in both (9 s and 14 s): whichever labels the diarizer gave her, same character
    one = rows[job1.pk][label_of(job1, rttm_talk(eval_dir, "trn07")["FEE087"])]
    two = rows[job2.pk][label_of(job2, rttm_talk(eval_dir, "trn08")["FEE087"])]
    assert two.character_id == one.character_id and two.provider == "auto", (one, two)
    for j in (job1, job2):  # never two labels of one episode on one character
        chars = [r.character_id for r in rows[j.pk].values()]
        assert len(chars) == len(set(chars))
    # and episode 2 speaks her with the voice episode 1 gave her
    manifest = json.loads(Workspace(job2.pk).ensure_local(job2.outputs["tts_manifest"]).read_text())
    spoken = manifest["speakers"][two.label]
    one.character.refresh_from_db()
    assert spoken["source"] == "saved" and spoken["voice"] == one.character.voice_settings["voice"]
