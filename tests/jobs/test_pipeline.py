"""The whole pipeline on a fixture episode of real speech over a music bed, with real models."""
from __future__ import annotations

import json
import subprocess

import pytest
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage

from jobs.artifacts import Workspace, storage_name
from jobs.models import JobEvent, JobState, PassKind, PassState, StageRun
from jobs.runner import run_job
from jobs.services import job_submit
from media.asr import transcribe
from media.config import models_dir
from media.metrics import wer
from media.tts import VoiceSpec
from media.vad import coverage, detect
from review.models import Segment
from series.services import episode_create
from tests.factories import make_series, make_user
from tests.jobs.scene import build_scene
from voices.models import VoiceRef
from voices.services import voice_ref_store

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(scope="module")
def scene(eval_dir, tmp_path_factory):
    return build_scene(eval_dir, tmp_path_factory.mktemp("scene"))


def dub(scene, *, mode="low", two_pass=True, slug="scene"):
    operator = make_user("operator")
    series = make_series(slug=slug)
    with open(scene.video, "rb") as fh:
        episode = episode_create(actor=make_user("admin"), series=series, season_number=1, number=1,
                                 upload=File(fh, name="scene.mp4"))
    job = job_submit(actor=operator, episode=episode, mode=mode, two_pass=two_pass, enqueue_task=False)
    state = run_job(job.pk)
    job.refresh_from_db()
    return job, state


def ffprobe(path) -> dict:
    out = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
                          str(path)], capture_output=True, check=True, timeout=60).stdout
    return json.loads(out)


def test_end_to_end_two_pass_dub(scene):
    job, state = dub(scene)
    assert state == JobState.SUCCEEDED, job.error
    ws = Workspace(job.pk)
    source = ffprobe(scene.video)
    for key in ("mkv", "mp4"):
        info = ffprobe(ws.ensure_local(job.outputs[key]))
        kinds = [s["codec_type"] for s in info["streams"]]
        assert kinds.count("video") == 1 and kinds.count("audio") == 2 and kinds.count("subtitle") == 2, kinds
        audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
        assert audio[0]["disposition"]["default"] == 1 and audio[1]["disposition"]["default"] == 0
        assert audio[0]["tags"]["language"] == "eng"
        assert abs(float(info["format"]["duration"]) - float(source["format"]["duration"])) <= 0.05

    # the dubbed dialogue is where the source speech was
    dub_track = ws.ensure_local(f"tts/pass{job.outputs['pass']}/dialogue.wav")
    overlap = coverage(detect(scene.speech), detect(dub_track))
    print(f"dub speech covers {overlap:.2f} of the source speech")
    assert overlap >= 0.8

    # the dub says the target text
    segments = list(Segment.objects.filter(job_id=job.pk).order_by("index"))
    assert len({s.diar_label for s in segments}) >= 2
    target = " ".join(s.target_text for s in segments)
    heard = transcribe(ws.ensure_local(job.outputs["mix"])).text
    print(f"round-trip WER of the dub against its target text: {wer(target, heard):.3f}")
    assert wer(target, heard) <= 0.2, (target, heard)
    assert wer(" ".join(scene.texts), " ".join(s.source_text for s in segments)) <= 0.2
    # ASR decoded each stretch of talk the diarization found on its own (media.asr_islands)
    asr_run = StageRun.objects.get(job=job, name="asr")
    assert asr_run.outputs["islands"] >= 1
    assert JobEvent.objects.filter(job=job, message__contains="stretches of talk one by one").exists()

    # the lines Piper spoke were heard by the retake check (none needed more than the takes allowed)
    tts1 = StageRun.objects.get(job=job, pass_obj__number=1, name="tts")
    retakes, piper = tts1.outputs["retakes"], tts1.engines["tts"].get("piper", 0)
    assert retakes["heard"] == piper and retakes["retaken"] <= 2 * retakes["unclear"], (retakes, tts1.engines)

    # pass 2 reran only tts, mix, mux, and its outputs replaced pass 1's
    pass2 = StageRun.objects.filter(job=job, pass_obj__number=2).order_by("id")
    assert [r.name for r in pass2] == ["tts", "mix", "mux", "qc"]
    assert job.outputs["pass"] == 2 and job.outputs["mkv"] == "pass2/dub.mkv"
    assert default_storage.exists(storage_name(job.pk, "pass1/dub.mkv"))
    assert JobEvent.objects.filter(job=job, message="pass 2 complete; outputs replaced").exists()
    manifest = json.loads(ws.ensure_local(job.outputs["tts_manifest"]).read_text())
    refs = json.loads(ws.ensure_local("analysis/voice_refs/manifest.json").read_text())["speakers"]
    for label, info in manifest["speakers"].items():
        if refs[label]["path"]:
            assert info["source"] == "matched_preset" and info["similarity"] is not None
    # distinct characters of one episode get distinct voices (a matching, not each speaker's nearest)
    bases = [VoiceSpec.parse(info["voice"]).with_(pitch_semitones=0.0).key for info in manifest["speakers"].values()]
    assert len(set(bases)) == len(bases), bases
    assert set(job.passes.values_list("state", flat=True)) == {PassState.SUCCEEDED}
    assert_no_server_paths(job)

    # the series keeps each character's ref (encrypted) for later jobs and reruns
    kept = VoiceRef.objects.filter(source_job_id=job.pk)
    assert kept.count() == sum(1 for r in refs.values() if r["clone_path"]) >= 2
    assert JobEvent.objects.filter(job=job, message__startswith="series refs: kept").exists()


def assert_no_server_paths(job):
    """What viewers can read (events, stage notes, public JSON downloads) names no server folder."""
    roots = [str(settings.BASE_DIR), str(models_dir()), str(settings.DUBSITE_WORK_DIR), str(settings.MEDIA_ROOT)]
    seen = [json.dumps([e.message, e.data]) for e in job.events.all()]
    seen += [json.dumps([r.engines, r.error]) for r in job.stage_runs.all()]
    folder = settings.MEDIA_ROOT / "jobs" / str(job.pk)
    public = [p for p in folder.rglob("*.json") if "work" not in p.relative_to(folder).parts]
    assert any(p.name == "diarization.json" for p in public)
    seen += [p.read_text() for p in public]
    assert any("$MODELS_DIR/" in text for text in seen)  # engines did explain themselves, redacted
    leaks = [text[:300] for text in seen if any(root in text for root in roots)]
    assert not leaks


def test_pass_two_failure_keeps_pass_one(scene, monkeypatch):
    from jobs.stages.mix import MixStage

    real = MixStage.run

    def failing(self, ctx):
        if ctx.kind == PassKind.CLONE:
            raise RuntimeError("mixer exploded")
        return real(self, ctx)

    monkeypatch.setattr(MixStage, "run", failing)
    job, state = dub(scene, slug="fail2")
    assert state == JobState.SUCCEEDED
    assert job.outputs["pass"] == 1 and default_storage.exists(storage_name(job.pk, job.outputs["mkv"]))
    second = job.passes.get(number=2)
    assert second.state == PassState.FAILED and "mixer exploded" in second.error
    assert JobEvent.objects.filter(job=job, message__startswith="pass 2 failed; keeping pass 1").exists()


def test_pass_two_clones_with_xtts(scene, monkeypatch, tmp_path):
    from tests.media.test_tts import build_tiny_xtts

    models = tmp_path / "models"
    build_tiny_xtts(models / "xtts", scene.speech)
    monkeypatch.setenv("MODELS_DIR", str(models))
    job, state = dub(scene, slug="clone")
    assert state == JobState.SUCCEEDED, job.error
    ws = Workspace(job.pk)
    manifest = json.loads(ws.ensure_local(job.outputs["tts_manifest"]).read_text())
    refs = json.loads(ws.ensure_local("analysis/voice_refs/manifest.json").read_text())["speakers"]
    with_ref = [label for label, r in refs.items() if r["path"]]
    assert with_ref
    for label in with_ref:
        info = manifest["speakers"][label]
        assert info["source"] == "extracted_ref" and info["clone_succeeded"], info
        assert info["providers"] == {"xtts": info["providers"].get("xtts", 0)} and info["providers"]["xtts"] > 0


def test_pass_two_falls_back_to_the_series_ref(scene, monkeypatch, eval_dir, tmp_path):
    """A speaker the job found no ref for is voiced from their character's series ref; the
    job's own ref still wins for the others; a new series ref makes pass 2 run again."""
    from jobs.services import job_rerun_pass2
    from jobs.stages import refs as refs_stage
    from media.ffmpeg import extract_audio
    from media.refs import SpeakerRef

    real = refs_stage.build_refs

    def none_for_the_first(*args, **kwargs):
        built = real(*args, **kwargs)
        first = sorted(built)[0]
        built[first] = SpeakerRef(first, None, None, 0.0, "none", reason="nothing usable (test)")
        return built

    monkeypatch.setattr(refs_stage, "build_refs", none_for_the_first)
    job, state = dub(scene, two_pass=False, slug="fallback")
    assert state == JobState.SUCCEEDED, job.error
    segments = Segment.objects.filter(job_id=job.pk).select_related("character")
    labels = {s.diar_label: s.character for s in segments}
    first = sorted(labels)[0]
    assert not VoiceRef.objects.filter(character=labels[first]).exists()  # nothing to keep for them

    editor = make_user("editor")
    ref_wav = extract_audio(eval_dir / "jfk.flac", tmp_path / "jfk.wav", sample_rate=22050, channels=1)
    voice_ref_store(actor=editor, character=labels[first], wav=ref_wav, source="upload")
    job_rerun_pass2(actor=make_user("operator"), job=job, enqueue_task=False)
    assert run_job(job.pk) == JobState.SUCCEEDED
    job.refresh_from_db()
    ws = Workspace(job.pk)
    assert not ws.root.exists()  # the decrypted series ref went with the work folder (the job succeeded)
    speakers = json.loads(ws.ensure_local(job.outputs["tts_manifest"]).read_text())["speakers"]
    assert speakers[first]["source"] == "matched_preset", speakers[first]
    assert any("series ref" in note for note in speakers[first]["notes"])
    for label in set(labels) - {first}:
        assert not any("series ref" in note for note in speakers[label]["notes"])  # the job's own ref

    def rerun() -> int:
        job_rerun_pass2(actor=make_user("operator"), job=job, enqueue_task=False)
        assert run_job(job.pk) == JobState.SUCCEEDED
        return StageRun.objects.filter(job=job, name="tts", pass_obj__number=2, state="succeeded").count()

    voice_ref_store(actor=editor, character=labels[first], wav=ref_wav, source="upload")
    assert rerun() == 1  # the same clip again: nothing changed, tts is skipped
    other = extract_audio(eval_dir / "stereo_diarization.wav", tmp_path / "other.wav", sample_rate=22050, channels=1)
    voice_ref_store(actor=editor, character=labels[first], wav=other, source="upload")
    assert rerun() == 2  # a new series ref: pass 2 speaks again
