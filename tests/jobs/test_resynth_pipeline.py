"""Synthesize approved on a real job of the demo episode: every spoken line keeps its fitted clip
and voice plan; after an editor changes and approves one line, the resynth pass speaks exactly
that line again and reuses every other clip, the new dub says the edited words (round-trip ASR
of the line's slice), a resynth pass that fails keeps the dub the job had, and a line's chosen
take is laid as it is."""
from __future__ import annotations

import json
import re
import time

import numpy as np
import pytest
from django.core.files import File
from django.core.files.storage import default_storage

from jobs.artifacts import Workspace
from jobs.models import JobEvent, JobState, PassKind, PassState, StageRun
from jobs.runner import run_job
from jobs.services import job_submit, job_synthesize_approved
from jobs.stages.mix import MixStage
from media.asr import transcribe
from media.audio import load, save
from media.demo import build_demo_episode
from media.metrics import wer
from review.editing import segment_approve, segment_edit
from review.models import Segment, Take
from series.services import episode_create
from tests.factories import make_series, make_user, upload_of

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

NEW_TEXT = "The purple boat has not sailed in forty winters."


def clips_of(job, number: int) -> list[str]:
    folder = f"jobs/{job.pk}/tts/pass{number}/clips"
    return sorted(default_storage.listdir(folder)[1]) if default_storage.exists(folder) else []


def tts_outputs(job, number: int) -> dict:
    return StageRun.objects.get(job=job, name="tts", pass_obj__number=number, state="succeeded").outputs


def synthesize(job, operator):
    job_synthesize_approved(actor=operator, job=job, enqueue_task=False)
    began = time.monotonic()
    state = run_job(job.pk)
    job.refresh_from_db()
    return state, time.monotonic() - began


def test_only_the_changed_line_is_spoken_again(tmp_path, monkeypatch, isolated_storage):
    video = build_demo_episode(tmp_path / "demo.mp4").path
    episode = episode_create(actor=make_user("admin"), series=make_series(), season_number=1, number=1,
                             upload=upload_of(video))
    operator, editor = make_user("operator"), make_user("editor")
    job = job_submit(actor=operator, episode=episode, mode="low", two_pass=False, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED, job.error
    job.refresh_from_db()

    # every spoken line has its clip in storage and a voice plan that says how it was spoken
    lines = list(Segment.objects.filter(job_id=job.pk).order_by("index"))
    spoken = [s for s in lines if s.target_text.strip()]
    assert len(spoken) >= 4
    assert len(clips_of(job, 1)) == len(spoken)
    for seg in spoken:
        plan = seg.voice_plan
        assert set(plan) == {"character", "voice", "source", "ref", "clone", "engine", "speed", "clip", "clip_key",
                             "pass", "seconds", "at"}
        assert plan["pass"] == 1 and plan["source"] in ("preset", "saved") and plan["clone"] is False
        assert re.fullmatch(rf"jobs/{job.pk}/tts/pass1/clips/{seg.index}-{plan['clip_key'][:12]}\.wav", plan["clip"])
        assert default_storage.exists(plan["clip"]) and plan["engine"] and plan["speed"] > 0
    before = {s.pk: s.voice_plan for s in spoken}
    outputs_1 = dict(job.outputs)

    # an editor changes the longest line (of the Piper voice, which tiny.en hears best) and approves
    # it; another line is approved unchanged
    piper = [s for s in spoken if s.voice_plan["voice"].startswith("piper")] or spoken
    target = max(piper, key=lambda s: s.end - s.start)
    other = next(s for s in spoken if s.pk != target.pk)
    row = segment_edit(actor=editor, segment=target, target_text=NEW_TEXT, version=target.version)
    segment_approve(actor=editor, segment=row, version=row.version)
    segment_approve(actor=editor, segment=other, version=other.version)

    state, seconds = synthesize(job, operator)
    assert state == JobState.SUCCEEDED, job.error
    resynth = job.passes.get(number=2)
    assert resynth.kind == PassKind.RESYNTH and resynth.state == PassState.SUCCEEDED
    assert [r.name for r in StageRun.objects.filter(job=job, pass_obj=resynth).order_by("id")] == ["tts", "mix", "mux", "qc"]
    out = tts_outputs(job, 2)
    first = job.passes.get(number=1)
    tts = {n: StageRun.objects.get(job=job, name="tts", pass_obj__number=n).duration for n in (1, 2)}
    print(f"synthesize approved on the demo episode: {out['resynthesized']} line(s) re-synthesized, "
          f"{out['reused']} reused; pass {(resynth.finished - resynth.started).total_seconds():.1f} s "
          f"(run_job {seconds:.1f} s), tts {tts[2]:.2f} s; the dub pass took "
          f"{(first.finished - first.started).total_seconds():.1f} s, its tts {tts[1]:.2f} s")
    assert (out["resynthesized"], out["reused"], out["takes"]) == (1, len(spoken) - 1, 0)
    assert clips_of(job, 2) == [f"{target.index}-{Segment.objects.get(pk=target.pk).voice_plan['clip_key'][:12]}.wav"]
    assert JobEvent.objects.filter(job=job, message__contains="1 line(s) re-synthesized").exists()

    # the outputs swapped to pass 2; only the edited line's plan moved
    assert job.outputs["pass"] == 2 and job.outputs["mkv"] == "pass2/dub.mkv"
    after = {s.pk: s for s in Segment.objects.filter(pk__in=before)}
    assert after[target.pk].voice_plan["pass"] == 2 and after[target.pk].voice_plan["clip_key"] != \
        before[target.pk]["clip_key"]
    assert all(after[pk].voice_plan == plan for pk, plan in before.items() if pk != target.pk)

    # the new dub says the edited words where the line is, and is unchanged elsewhere
    ws = Workspace(job.pk)
    mix = ws.ensure_local(job.outputs["mix"])
    heard = transcribe(mix, clip=(max(target.start - 0.2, 0.0), target.end + 0.6)).text.lower()
    print(f"round trip of the edited line: {heard!r}")
    # the edited words are what it hears there, not the old line
    assert "purple" in heard and wer(NEW_TEXT, heard) < wer(target.target_text, heard) and \
        wer(NEW_TEXT, heard) <= 0.5, heard
    old = load(ws.ensure_local(tts_outputs(job, 1)["dialogue"]), mono=True).samples
    new = load(ws.ensure_local(out["dialogue"]), mono=True)
    elsewhere = np.ones(len(new.samples), dtype=bool)
    elsewhere[int((target.start - 0.05) * new.sample_rate): int((target.end + 1.0) * new.sample_rate)] = False
    assert np.abs(new.samples[elsewhere] - old[:len(new.samples)][elsewhere]).max() < 2e-3

    # a resynth pass that fails keeps the dub and the plans the job had
    second = Segment.objects.get(pk=other.pk)
    row = segment_edit(actor=editor, segment=second, target_text="Bring the lantern and the map.",
                       version=second.version)
    segment_approve(actor=editor, segment=row, version=row.version)  # an edit needs approving again
    real = MixStage.run

    def exploding(self, ctx):
        if ctx.kind == PassKind.RESYNTH:
            raise RuntimeError("mixer exploded")
        return real(self, ctx)

    with monkeypatch.context() as m:
        m.setattr(MixStage, "run", exploding)
        state, _ = synthesize(job, operator)
    assert state == JobState.SUCCEEDED
    failed = job.passes.get(number=3)
    assert failed.kind == PassKind.RESYNTH and failed.state == PassState.FAILED and "mixer exploded" in failed.error
    assert job.outputs["pass"] == 2 and job.outputs["mkv"] == "pass2/dub.mkv"
    assert default_storage.exists(f"jobs/{job.pk}/pass2/dub.mkv")
    assert Segment.objects.get(pk=other.pk).voice_plan == before[other.pk]
    assert JobEvent.objects.filter(job=job, message__startswith="pass 3 failed; keeping pass 2").exists()

    # a line whose chosen take says its text is laid from the take (a tone here, to find it)
    third = next(s for s in spoken if s.pk not in (target.pk, other.pk))
    rate, seconds = 24000, min(third.end - third.start, 1.0)
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(rate * seconds)) / rate)).astype(np.float32)
    save(tmp_path / "take.wav", tone, rate)
    with open(tmp_path / "take.wav", "rb") as fh:
        name = default_storage.save(f"jobs/{job.pk}/takes/{third.pk}/1.wav", File(fh, name="1.wav"))
    Take.objects.create(segment_id=third.pk, number=1, text=third.target_text, audio=name, duration=seconds,
                        chosen=True)

    # the next one does the work again (the failed pass wrote no plans), and nothing more
    state, _ = synthesize(job, operator)
    assert state == JobState.SUCCEEDED and job.outputs["pass"] == 4
    out = tts_outputs(job, 4)
    assert (out["resynthesized"], out["reused"], out["takes"]) == (1, len(spoken) - 2, 1)
    dialogue = load(ws.ensure_local(out["dialogue"]), mono=True, sample_rate=rate).samples
    at = int(third.start * rate)
    laid = dialogue[at: at + len(tone)]
    assert np.corrcoef(laid, tone)[0, 1] > 0.99
    assert Segment.objects.get(pk=other.pk).voice_plan["pass"] == 4
    assert outputs_1["mkv"] == "pass1/dub.mkv" and default_storage.exists(f"jobs/{job.pk}/pass1/dub.mkv")
    manifest = json.loads(ws.ensure_local(job.outputs["tts_manifest"]).read_text())
    assert manifest["kind"] == "resynth" and manifest["counts"]["resynthesized"] == 1
