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
