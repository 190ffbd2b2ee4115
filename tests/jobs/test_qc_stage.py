"""The qc stage on real dubs of the demo episode: a good dub passes; dubs made wrong on purpose
(a line whose audio says other words, a line in another character's voice, a line sped past the
limit, a clipped mix) are caught, flagged on their lines, and drawn."""
from __future__ import annotations

import json

import pytest

from jobs.artifacts import Workspace
from jobs.models import JobState
from jobs.runner import run_job
from jobs.services import job_submit
from jobs.stages import StageContext
from jobs.stages.qc import QcStage
from jobs.pipeline import finished_outputs
from jobs.modes import resolve_mode
from media.audio import load, resample, save
from media.demo import build_demo_episode
from media.tts import TtsRequest, VoiceSpec, synthesize
from review.models import Segment
from series.services import episode_create
from tests.factories import make_series, make_user, upload_of

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture
def dubbed(tmp_path, isolated_storage):
    video = build_demo_episode(tmp_path / "demo.mp4").path
    episode = episode_create(actor=make_user("admin"), series=make_series(), season_number=1, number=1,
                             upload=upload_of(video))
    job = job_submit(actor=make_user("operator"), episode=episode, mode="low", two_pass=False, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED, job.error
    job.refresh_from_db()
    return job


def _report(job) -> dict:
    return json.loads(Workspace(job.pk).ensure_local(job.outputs["qc"]).read_text())


def _rerun_qc(job, tmp_path) -> dict:
    """QC again on the job's (tampered) outputs, as the pass would."""
    outputs, fps = finished_outputs(job)
    ctx = StageContext(job=job, pass_number=1, workspace=Workspace(job.pk), outputs=outputs, fingerprints=fps,
                       settings=resolve_mode(job.mode, job.episode.season.series.source_language))
    ctx.outputs = {k[:-2] if k.endswith("@1") else k: v for k, v in outputs.items()}
    QcStage()._check(ctx)
    return _report(job)


def test_a_good_dub_passes_and_the_report_has_every_figure(dubbed):
    report = _report(dubbed)
    lines = report["lines"]
    assert len(lines) == Segment.objects.filter(job_id=dubbed.pk).exclude(target_text="").count() >= 4
    print(json.dumps({k: report[k] for k in ("verdict", "reasons", "seconds")}),
          [(ln["index"], ln["wer"], ln["similarity"], ln["flags"]) for ln in lines])
    assert report["verdict"] == "pass", report["reasons"]
    assert all(ln["wer"] is not None for ln in lines)
    assert sum(ln["wer"] for ln in lines) / len(lines) < 0.25
    assert {"integrated_lufs", "true_peak_dbtp", "lra"} <= set(report["episode"]["loudness"])
    assert report["episode"]["short_term"] and report["episode"]["coverage"] > 0.5
    assert report["thresholds"]["wer"] == 0.4 and report["source_turns"]
    # at most one line flagged: an espeak variant is sometimes misheard by tiny.en (issue 11's finding)
    flagged = [flags for flags in Segment.objects.filter(job_id=dubbed.pk).values_list("flags", flat=True)
               if any(f.startswith("qc_") for f in flags)]
    assert len(flagged) <= 1 and len(flagged) == sum(1 for ln in lines if ln["flags"])


def test_wrong_words_another_voice_speed_and_clipping_are_caught(dubbed, tmp_path):
    ws = Workspace(dubbed.pk)
    rows = sorted((s for s in Segment.objects.filter(job_id=dubbed.pk) if s.target_text.strip()),
                  key=lambda s: s.end - s.start)
    wrong, other_voice, fast = rows[-1], rows[-2], rows[0]
    tts_rel = [v for k, v in finished_outputs(dubbed)[0].items() if k.startswith("tts")][0]["dialogue"]
    dialogue = load(ws.ensure_local(tts_rel))
    samples, rate = dialogue.samples.copy(), dialogue.sample_rate

    def lay(seg, text, voice):
        """Put other audio where the line is, in the dialogue track and in the line's own clip."""
        out = synthesize(TtsRequest(text, "en", voice=VoiceSpec.parse(voice)), preference=[voice.split(":")[0]])
        clip = resample(out.samples, out.sample_rate, rate)[: int((seg.end - seg.start + 0.3) * rate)]
        a = int(seg.start * rate)
        target = samples[a: a + len(clip)]
        target[:] = clip[:len(target)].reshape(target.shape) if target.ndim == 1 else clip[:len(target), None]
        rel = seg.voice_plan["clip"].removeprefix(f"jobs/{dubbed.pk}/")
        save(ws.path(rel), clip, rate)
        ws.publish(rel)

    # 1. the line's audio says other words (same voice)
    lay(wrong, "Completely different words about bananas and a yellow submarine.", wrong.voice_plan["voice"])
    # 2. a line spoken in another character's voice
    others = {s.voice_plan["voice"] for s in rows if s.character_id != other_voice.character_id}
    assert others, "the demo has two characters"
    lay(other_voice, other_voice.target_text, sorted(others)[0])
    save(ws.path(tts_rel), samples, rate)
    ws.publish(tts_rel)
    # 3. a line sped past the limit
    Segment.objects.filter(pk=fast.pk).update(voice_plan={**fast.voice_plan, "speed": 1.6})
    # 4. a clipped mix
    mix_rel = dubbed.outputs["mix"]
    mix = load(ws.ensure_local(mix_rel))
    clipped = mix.samples.copy()
    a = int((rows[1].start + 0.2) * mix.sample_rate)
    clipped[a: a + 2000] = 1.0
    save(ws.path(mix_rel), clipped, mix.sample_rate)
    ws.publish(mix_rel)

    report = _rerun_qc(dubbed, tmp_path)
    by = {ln["segment"]: ln for ln in report["lines"]}
    assert "qc_wer" in by[wrong.pk]["flags"], by[wrong.pk]
    assert {"completely", "different"} & set(by[wrong.pk]["extra"])  # what the audio says instead
    assert "qc_voice" in by[other_voice.pk]["flags"], by[other_voice.pk]
    assert "qc_timing" in by[fast.pk]["flags"]
    assert "qc_level" in by[rows[1].pk]["flags"]
    assert report["verdict"] == "review"
    flagged = dict(Segment.objects.filter(job_id=dubbed.pk).values_list("pk", "flags"))
    assert "qc_wer" in flagged[wrong.pk] and "qc_voice" in flagged[other_voice.pk]


def test_qc_shows_on_the_job_page_the_report_and_the_series_page(dubbed):
    from django.test import Client

    from tests.factories import make_user as user_of

    client = Client()
    job = dubbed
    assert client.get(f"/jobs/{job.pk}/qc/").status_code == 302  # log in first
    client.force_login(user_of("viewer"))
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'id="qc"' in page and f"/jobs/{job.pk}/qc/who.svg" in page and "printable report" in page
    report = client.get(f"/jobs/{job.pk}/qc/")
    assert report.status_code == 200
    html = report.content.decode()
    assert "Lines, worst first" in html and "integrated loudness" in html and "DUBSITE_QC_" in html
    for line in Segment.objects.filter(job_id=job.pk).exclude(target_text=""):
        assert line.target_text in html
    for name in ("who", "loudness", "similarity", "speed"):
        svg = client.get(f"/jobs/{job.pk}/qc/{name}.svg")
        assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert client.get(f"/jobs/{job.pk}/qc/other.svg").status_code == 404
    job.refresh_from_db()
    assert job.outputs["qc_verdict"] == "pass"
    series = job.episode.season.series
    listing = client.get(f"/series/{series.slug}/").content.decode()
    assert "QC pass" in listing and f"/jobs/series/{series.pk}/drift.svg" in listing
    drift = client.get(f"/jobs/series/{series.pk}/drift.svg").content.decode()
    assert "episode 1:" in drift  # one point per character for the one episode
