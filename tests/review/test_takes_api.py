"""Every takes/audio/budget endpoint × anonymous / viewer / operator / editor / admin, HTTP Range
answers (206, 416, whole), the line's original slice and current dub, and the duration budget."""
from __future__ import annotations

import io
import time

import numpy as np
import pytest
import soundfile as sf
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from dubsite.models import AuditEvent
from review.models import Segment, Take

from .lines import client_for
from .test_takes import PIPER, english_lines, regenerate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_storage")]

ROLES = ["anonymous", "viewer", "operator", "editor", "admin"]
READERS = {"viewer", "operator", "editor", "admin"}
WRITERS = {"editor", "admin"}
PLAN = {"voice": PIPER, "source": "preset", "clone": False}


def expected(role: str, allowed: set[str], ok: int = 200) -> int:
    if role == "anonymous":
        return 401
    return ok if role in allowed else 403


def store_wav(name: str, seconds: float, rate: int = 16000, channels: int = 1) -> np.ndarray:
    """A stored WAV whose every sample tells its time (a ramp), so a slice can be checked exactly."""
    t = np.arange(int(seconds * rate), dtype=np.float32) / (seconds * rate)
    samples = np.stack([t] * channels, axis=1) if channels > 1 else t
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype="FLOAT")
    default_storage.save(name, ContentFile(buffer.getvalue()))
    return samples


def wav_of(response) -> tuple[np.ndarray, int]:
    return sf.read(io.BytesIO(b"".join(response) if hasattr(response, "streaming_content") else response.content),
                   dtype="float32")


@pytest.fixture
def line(tmp_path):
    job, lines = english_lines(tmp_path, PLAN)
    store_wav(f"jobs/{job.pk}/audio.wav", 10.0)
    regenerate(client_for("editor"), lines[0])
    return job, lines[0]


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, line):
    job, seg = line
    client = client_for(role)
    reads = [f"/api/lines/{seg.pk}/takes", f"/api/lines/{seg.pk}/takes/1/audio",
             f"/api/lines/{seg.pk}/audio/original", f"/api/lines/{seg.pk}/audio/dub",
             f"/api/lines/{seg.pk}/budget?text=Hello."]
    Take.objects.filter(segment=seg).update(chosen=True)  # a dub to hear without a mix
    for url in reads:
        response = client.get(url)
        assert response.status_code == expected(role, READERS), (url, response.content[:200])
    before = Take.objects.count()
    response = regenerate(client, seg)
    assert response.status_code == expected(role, WRITERS, 201), response.content[:200]
    assert Take.objects.count() == before + (role in WRITERS)
    response = client.post(f"/api/lines/{seg.pk}/choose-take", {"take": None}, content_type="application/json")
    assert response.status_code == expected(role, WRITERS)
    assert Take.objects.filter(chosen=True).exists() == (role not in WRITERS)
    audited = set(AuditEvent.objects.filter(actor__username__startswith=role).values_list("action", flat=True))
    assert audited == ({"segment.regenerate", "segment.choose_take"} if role in WRITERS else set())


def test_take_audio_answers_ranges(line):
    _, seg = line
    client = client_for("viewer")
    url = f"/api/lines/{seg.pk}/takes/1/audio"
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "audio/wav"
    data = whole.content
    size = len(data)
    part = client.get(url, HTTP_RANGE="bytes=0-99")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 0-99/{size}" and part.content == data[:100]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert tail.status_code == 206 and tail.content == data[-10:] and tail["Content-Range"] == \
        f"bytes {size - 10}-{size - 1}/{size}"
    open_ended = client.get(url, HTTP_RANGE=f"bytes={size - 5}-")
    assert open_ended.status_code == 206 and open_ended.content == data[-5:]
    beyond = client.get(url, HTTP_RANGE=f"bytes={size}-{size + 10}")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{size}"
    assert beyond.json()["code"] == "range_not_satisfiable"
    assert client.get(url, HTTP_RANGE="bytes=5-1").status_code == 200  # invalid: ignored, whole file
    assert client.get(url, HTTP_RANGE="bytes=0-1,5-9").status_code == 200  # several ranges: whole file
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"another-version"')
    assert stale.status_code == 200 and stale.content == data
    same = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=whole["ETag"])
    assert same.status_code == 206
    assert client.get(f"/api/lines/{seg.pk}/takes/2/audio").status_code == 404
    assert client.get(f"/api/lines/{seg.pk}/audio/original", HTTP_RANGE="bytes=0-43").status_code == 206


def test_original_slice_is_the_lines_slot(line):
    _, seg = line  # slot 0.0-3.0 s of a 10 s ramp at 16 kHz
    Segment.objects.filter(pk=seg.pk).update(start=2.5, end=4.0)
    samples, rate = wav_of(client_for("viewer").get(f"/api/lines/{seg.pk}/audio/original"))
    assert rate == 16000 and len(samples) == int(1.5 * 16000)
    assert samples[0] == pytest.approx(2.5 / 10.0, abs=1e-4) and samples[-1] == pytest.approx(4.0 / 10.0, abs=1e-4)


def test_original_prefers_the_full_rate_stereo_copy(line):
    job, seg = line
    store_wav(f"jobs/{job.pk}/audio_stereo.wav", 10.0, rate=48000, channels=2)
    samples, rate = wav_of(client_for("viewer").get(f"/api/lines/{seg.pk}/audio/original"))
    assert rate == 48000 and samples.shape == (int(3.0 * 48000), 2)


def test_dub_is_the_chosen_take_else_the_pass_clip_else_the_mix(line):
    job, seg = line
    client = client_for("viewer")
    assert client.get(f"/api/lines/{seg.pk}/audio/dub").status_code == 404  # nothing chosen, no clip, no mix
    store_wav(f"jobs/{job.pk}/audio/pass1/final_mix.wav", 10.0, rate=48000)
    job.outputs = {"mix": "audio/pass1/final_mix.wav"}
    job.save()
    mix = client.get(f"/api/lines/{seg.pk}/audio/dub")
    assert mix["X-Dub-Source"] == "final mix" and len(wav_of(mix)[0]) == 3 * 48000
    store_wav(f"jobs/{job.pk}/tts/pass1/clips/0-abc.wav", 1.25)
    Segment.objects.filter(pk=seg.pk).update(voice_plan={**PLAN, "clip": f"jobs/{job.pk}/tts/pass1/clips/0-abc.wav"})
    clip = client.get(f"/api/lines/{seg.pk}/audio/dub")
    assert clip["X-Dub-Source"] == "pass clip" and len(wav_of(clip)[0]) == 20000
    Take.objects.filter(segment=seg, number=1).update(chosen=True)
    take = client.get(f"/api/lines/{seg.pk}/audio/dub")
    assert take["X-Dub-Source"] == "take 1"
    assert take.content == client.get(f"/api/lines/{seg.pk}/takes/1/audio").content


def test_a_voice_plan_naming_a_file_outside_the_jobs_clips_is_not_served(line):
    job, seg = line
    store_wav(f"jobs/{job.pk}/analysis/voice_refs/S1.wav", 1.0)
    store_wav("jobs/999/tts/pass1/clips/0-x.wav", 1.0)
    client = client_for("viewer")
    for clip in (f"jobs/{job.pk}/analysis/voice_refs/S1.wav", "jobs/999/tts/pass1/clips/0-x.wav",
                 f"jobs/{job.pk}/../999/tts/pass1/clips/0-x.wav"):
        Segment.objects.filter(pk=seg.pk).update(voice_plan={**PLAN, "clip": clip})
        assert client.get(f"/api/lines/{seg.pk}/audio/dub").status_code == 404, clip


def test_budget_warns_on_a_long_text_and_not_on_a_short_one(line):
    _, seg = line  # slot 3.0 s
    client = client_for("editor")
    short = client.get(f"/api/lines/{seg.pk}/budget", {"text": "Thank you."}).json()
    assert short["slot"] == 3.0 and short["warn"] is False and short["cap"] == 1.35 and short["voice"] == PIPER
    assert 0.3 < short["estimated"] < 1.5 and short["speed_needed"] == pytest.approx(short["estimated"] / 3.0, abs=0.01)
    text = "Nobody expected the train to arrive so early on a Sunday morning, not even the station master."
    long = client.get(f"/api/lines/{seg.pk}/budget", {"text": text}).json()
    assert long["warn"] is True and long["speed_needed"] > 1.35 and long["estimated"] > 4.0
    default = client.get(f"/api/lines/{seg.pk}/budget").json()  # no text: the line's own
    take = Take.objects.get(segment=seg, number=1)
    assert default["estimated"] == pytest.approx(take.duration * take.speed, rel=0.3)
    started = time.perf_counter()
    for n in range(20):  # what the page does while someone types
        client.get(f"/api/lines/{seg.pk}/budget", {"text": "Thank you very much" + "!" * n})
    assert (time.perf_counter() - started) / 20 < 0.25
    assert client.get(f"/api/lines/{seg.pk}/budget", {"text": "bad\x00text"}).status_code == 422


def test_a_cloned_voices_budget_comes_from_its_takes(line, monkeypatch):
    from media.tts.xtts import XttsCloneEngine

    _, seg = line
    monkeypatch.setattr(XttsCloneEngine, "availability", lambda self: (True, "test"))
    Segment.objects.filter(pk=seg.pk).update(voice_plan={**PLAN, "source": "extracted_ref", "clone": True,
                                                         "ref": "analysis/voice_refs/S1_clone.wav"})
    client = client_for("viewer")
    before = client.get(f"/api/lines/{seg.pk}/budget", {"text": "Thank you."}).json()
    assert before["clone"] is True and before["basis"].startswith("the line's preset voice")
    Take.objects.filter(segment=seg).update(voice_plan={"clone": True}, text="Thank you kindly.", duration=2.0,
                                            speed=1.0)
    after = client.get(f"/api/lines/{seg.pk}/budget", {"text": "Thank you kindly."}).json()
    assert after["basis"] == "takes of this cloned voice" and after["estimated"] == pytest.approx(2.0, abs=0.01)
