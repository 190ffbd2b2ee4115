"""QC's references: a cloned character is compared with the person's own (encrypted) recording,
decrypted in memory only, and a line in someone else's voice sounds closer to them."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from jobs.artifacts import Workspace
from jobs.services import job_submit
from jobs.stages.base import StageContext
from jobs.stages.qc_engines import QcEngines
from media import asr_batch
from media.audio import resample
from media.qc import LineSpec, check_lines
from media.tts import TtsRequest, VoiceSpec, synthesize
from tests.factories import make_episode, make_user
from voices.jobrefs import PLAIN_FOLDER, store_job_ref

pytestmark = pytest.mark.django_db
RATE = 16000
PERSON_A, PERSON_B = "piper:en_US-joe-medium", "espeak:f3:p=70:s=160"  # two clearly different "people"


def _speech(voice: str, text: str) -> tuple[np.ndarray, int]:
    out = synthesize(TtsRequest(text, "en", voice=VoiceSpec.parse(voice)), preference=[voice.split(":")[0]])
    return out.samples, out.sample_rate


def test_a_cloned_character_is_compared_with_its_own_recording(tmp_path, isolated_storage):
    job = job_submit(actor=make_user("operator"), episode=make_episode(tmp_path), mode="low", enqueue_task=False)
    ctx = StageContext(job=job, pass_number=2, workspace=Workspace(job.pk), stage="qc")
    refs = {}
    for code, voice in (("anna", PERSON_A), ("ben", PERSON_B)):
        rel = f"analysis/voice_refs/{code}.clone.wav"
        samples, rate = _speech(voice, "This is how I sound when I talk about the weather and the sea.")
        sf.write(ctx.workspace.path(rel), samples, rate)
        store_job_ref(ctx.workspace, rel)  # encrypted; the plaintext is deleted
        refs[code] = rel
    rows = [SimpleNamespace(character_id=None, diar_label=code,
                            voice_plan={"voice": "xtts:clone", "clone": True, "ref": rel}) for code, rel in refs.items()]
    engines = QcEngines(ctx, language="en")
    got = engines.references(rows)
    assert set(got) == {"anna", "ben"}, engines.notes
    plain = ctx.workspace.path(PLAIN_FOLDER)
    assert not plain.exists() or not any(plain.iterdir())  # decrypted in memory, never written

    # a line "cloned" as anna but spoken by ben's voice is flagged; one in anna's voice is not
    lines, clips, at = [], {}, 0.5
    for i, voice in enumerate((PERSON_A, PERSON_B)):
        samples, rate = _speech(voice, "Meet me at the harbour tomorrow, before the boats leave.")
        clips[i] = resample(samples, rate, RATE).astype(np.float32)
        lines.append(LineSpec(i, at, at + len(clips[i]) / RATE, "x", character="anna"))
        at += len(clips[i]) / RATE + 0.5
    track = np.zeros(int((at + 1) * RATE), np.float32)
    out = check_lines(lines, dialogue=track, rate=RATE, embed=engines.embed, refs=got, clips=clips)
    print([(q.similarity, q.closest_other_similarity) for q in out])
    assert out[0].flags == [] and out[0].similarity > out[0].closest_other_similarity
    assert out[1].flags == ["qc_voice"] and out[1].closest_other == "ben"


def test_an_unreadable_clone_reference_turns_the_check_off_with_the_reason(tmp_path, isolated_storage):
    job = job_submit(actor=make_user("operator"), episode=make_episode(tmp_path), mode="low", enqueue_task=False)
    ctx = StageContext(job=job, pass_number=2, workspace=Workspace(job.pk), stage="qc")
    engines = QcEngines(ctx, language="en")
    row = SimpleNamespace(character_id=None, diar_label="anna",
                          voice_plan={"voice": "xtts:clone", "clone": True, "ref": "analysis/voice_refs/gone.wav"})
    assert engines.references([row]) == {}
    assert "unreadable" in engines.notes["voice"]


def test_a_clip_heard_before_is_not_heard_again(tmp_path, isolated_storage, monkeypatch):
    """A later pass (resynth, clone) that keeps a line's clip reuses what QC heard in it; a changed
    clip is heard again; what is kept is text only, in the job's private work folder."""
    import json

    from jobs.stages import qc_heard

    job = job_submit(actor=make_user("operator"), episode=make_episode(tmp_path), mode="low", enqueue_task=False)
    ctx = StageContext(job=job, pass_number=1, workspace=Workspace(job.pk), stage="qc")
    heard_chunks = []
    real = asr_batch.chunk_words  # what QC's listener decodes with

    def counting(chunks, rate, **kw):
        heard_chunks.append(len(chunks))
        return real(chunks, rate, **kw)

    monkeypatch.setattr(asr_batch, "chunk_words", counting)
    # flite says a line the same way every time (Piper samples noise per take: once tiny.en heard
    # its "boats" as "boat's"), so what is heard here does not change from run to run
    a, rate = _speech("flite:slt", "Meet me at the harbour tomorrow.")
    b, _ = _speech("flite:slt", "The boats leave before nine.")
    a, b = (resample(x, rate, RATE).astype(np.float32) for x in (a, b))
    first = QcEngines(ctx, language="en").transcribe_many([a, b], RATE)
    assert "harbour" in first[0].lower() or "harbor" in first[0].lower()
    assert heard_chunks == [1]

    engines = QcEngines(StageContext(job=job, pass_number=2, workspace=Workspace(job.pk), stage="qc"), language="en")
    assert engines.transcribe_many([a, b], RATE) == first and heard_chunks == [1]  # nothing heard again
    assert engines.described()["round_trip_reused"] == 2
    changed = np.concatenate([b, b])
    again = engines.transcribe_many([a, changed], RATE)
    assert again[0] == first[0] and "boats" in again[1].lower() and heard_chunks == [1, 1]
    stored = json.loads(ctx.workspace.path(qc_heard.HEARD).read_text())
    assert qc_heard.HEARD.startswith("work/") and all(isinstance(v, str) for v in stored.values())
    assert len(stored) == 2  # the latest pass's clips only


def test_qc_listens_ahead_while_mix_and_mux_run(tmp_path, isolated_storage, monkeypatch):
    """tts hands its stored clips to a background round trip; the qc stage waits for it and finds
    every clip heard; with DUBSITE_QC_LISTEN_AHEAD=0 nothing runs ahead."""
    from jobs.stages import lineplans, qc_heard
    from media.audio import load

    job = job_submit(actor=make_user("operator"), episode=make_episode(tmp_path), mode="low", enqueue_task=False)
    workspace = Workspace(job.pk)
    names = []
    for i, text in enumerate(("Meet me at the harbour tomorrow.", "The boats leave before nine.")):
        samples, rate = _speech(PERSON_A, text)
        names.append(lineplans.store_clip(workspace, lineplans.clip_rel(3, i, f"k{i}"), samples, rate))
    calls = []
    real = asr_batch.chunk_words
    monkeypatch.setattr(asr_batch, "chunk_words", lambda chunks, rate, **kw: calls.append(len(chunks)) or real(chunks, rate, **kw))

    monkeypatch.setenv("DUBSITE_QC_LISTEN_AHEAD", "0")
    qc_heard.listen_ahead(workspace, 3, names, language="en")
    assert qc_heard.wait_for_ahead(job.pk, 3) is None and calls == []

    monkeypatch.delenv("DUBSITE_QC_LISTEN_AHEAD")
    qc_heard.listen_ahead(workspace, 3, names, language="en")
    voices = qc_heard.wait_for_ahead(job.pk, 3)
    assert calls == [1] and qc_heard.wait_for_ahead(job.pk, 3) is None  # handed over once
    clips = [load(lineplans.fetch_clip(workspace, n), mono=True, sample_rate=RATE).samples for n in names]
    assert set(voices) == {qc_heard.clip_digest(c) for c in clips}  # both clips embedded ahead
    engines = QcEngines(StageContext(job=job, pass_number=3, workspace=workspace, stage="qc"), language="en",
                        known_voices=voices)
    texts = engines.transcribe_many(clips, RATE)
    assert engines.reused == 2 and calls == [1]  # nothing heard twice
    assert "boats" in texts[1].lower()
    expected = engines.embed(clips[0], RATE)
    engines._embedder = SimpleNamespace(embed=lambda *a: pytest.fail("embedded twice"))
    assert engines.embed(clips[0], RATE) is expected  # the vector made ahead, not a second embedding
    assert not list(workspace.root.rglob("*.npy"))  # voice vectors are never written
