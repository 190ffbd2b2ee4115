"""Voice memory on real speech: the same people keep their characters across episodes.

The diarization is the reference RTTM (so this checks voice memory, not the diarizer): each
recording runs through the real identify stage (clean-speech embeddings, matching, records)
as one episode of a series. The similarity matrices are printed (`-s`)."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from jobs.artifacts import Workspace
from jobs.services import job_submit
from jobs.stages.base import StageContext
from jobs.stages.identify import IdentifyStage
from media.audio import load
from media.embeddings import registry
from tests.factories import make_episode, make_series, make_user
from voices.models import CharacterEmbedding, EmbeddingSnapshot, EpisodeSpeaker

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def rttm(eval_dir, name: str, uri: str, lo: float = 0.0, hi: float = 1e9) -> list[dict]:
    turns = []
    for line in (eval_dir / name).read_text().splitlines():
        p = line.split()
        start, end = float(p[3]), float(p[3]) + float(p[4])
        if p[1] == uri and end > lo and start < hi:
            turns.append({"start": max(start, lo) - lo, "end": min(end, hi) - lo, "speaker": p[7]})
    return turns


def identify(tmp_path, series, number: int, wav, turns, lo: float = 0.0, hi: float = 1e9) -> dict:
    episode = make_episode(tmp_path, series, number=number)
    job = job_submit(actor=make_user("operator"), episode=episode, enqueue_task=False)
    ws = Workspace(job.pk)
    audio = load(wav, mono=True, sample_rate=16000)
    sf.write(ws.path("extract/audio.wav"), audio.samples[int(lo * 16000): int(min(hi, 1e6) * 16000)], 16000)
    ctx = StageContext(job=job, pass_number=1, workspace=ws, stage="identify",
                       outputs={"separate": {"degraded": True}, "extract": {"audio": "extract/audio.wav"},
                                "diarize": {"turns": turns}, "refs": {"speakers": {}}})
    out = IdentifyStage().run(ctx).outputs
    out["job"] = job
    m = out["matching"]
    if m.get("characters"):
        print(f"\nepisode {number} vs known characters ({m['model']}, threshold {m['threshold']}):")
        print(" " * 10 + "".join(f"{c:>8}" for c in m["characters"]))
        for label, row in zip(m["labels"], m["similarities"]):
            print(f"{label:>10}" + "".join(f"{x:8.2f}" for x in row))
    return out


def talk(turns: list[dict], person: str) -> float:
    return sum(t["end"] - t["start"] for t in turns if t["speaker"] == person)


def test_the_same_people_keep_their_characters_from_trn07_to_trn08(tmp_path, eval_dir):
    series = make_series()
    t1, t2 = rttm(eval_dir, "trn07_trn08.rttm", "trn07"), rttm(eval_dir, "trn07_trn08.rttm", "trn08")
    ep1 = identify(tmp_path, series, 1, eval_dir / "trn07.wav", t1)
    ep2 = identify(tmp_path, series, 2, eval_dir / "trn08.wav", t2)
    one, two = ep1["speakers"], ep2["speakers"]
    print({k: (v["code"], v["provider"], v["similarity"], v["seconds"]) for k, v in one.items()})
    print({k: (v["code"], v["provider"], v["similarity"], v["seconds"]) for k, v in two.items()})
    both = [p for p in one if p in two and talk(t1, p) >= 3.0 and talk(t2, p) >= 3.0]
    assert both, "the recordings should share at least one person with 3 s of speech"
    for person in both:
        assert two[person]["code"] == one[person]["code"] and two[person]["provider"] == "auto", person
    # nobody is taken for somebody else: a character of episode 1 returns only as its own person
    first = {v["code"]: p for p, v in one.items()}
    for person, info in two.items():
        assert first.get(info["code"], person) == person, f"{person} took {first[info['code']]}'s character"
    assert len({v["code"] for v in two.values()}) == len(two)  # one character per label within an episode
    # what was matched with confidence taught the character: two episodes in its mean
    for person in both:
        mean = CharacterEmbedding.objects.get(character_id=two[person]["character_id"])
        assert mean.count == 2 and EmbeddingSnapshot.objects.filter(character_id=mean.character_id).count() == 2


def test_the_two_halves_of_sample_wav_are_the_same_two_people(tmp_path, eval_dir):
    series = make_series()
    wav = eval_dir / "sample.wav"
    a = identify(tmp_path, series, 1, wav, rttm(eval_dir, "sample.rttm", "sample", 0, 15), 0, 15)
    b = identify(tmp_path, series, 2, wav, rttm(eval_dir, "sample.rttm", "sample", 15, 30), 15, 30)
    for person in ("speaker90", "speaker91"):
        assert b["speakers"][person]["code"] == a["speakers"][person]["code"], person
        assert b["speakers"][person]["provider"] == "auto"
    assert a["speakers"]["speaker90"]["code"] != a["speakers"]["speaker91"]["code"]


def test_an_assignment_wins_over_matching_and_survives_a_rerun(tmp_path, eval_dir):
    series = make_series()
    wav = eval_dir / "sample.wav"
    a = identify(tmp_path, series, 1, wav, rttm(eval_dir, "sample.rttm", "sample", 0, 15), 0, 15)
    turns = rttm(eval_dir, "sample.rttm", "sample", 15, 30)
    b = identify(tmp_path, series, 2, wav, turns, 15, 30)
    job = b["job"]
    # a person says speaker90 of episode 2 is speaker91's character (say, the diarizer swapped them)
    wrong = a["speakers"]["speaker91"]["character_id"]
    row = EpisodeSpeaker.objects.get(job_id=job.pk, label="speaker90")
    EpisodeSpeaker.objects.filter(pk=row.pk).update(character_id=wrong, provider="assigned")
    ws = Workspace(job.pk)
    ctx = StageContext(job=job, pass_number=1, workspace=ws, stage="identify",
                       outputs={"separate": {"degraded": True}, "extract": {"audio": "extract/audio.wav"},
                                "diarize": {"turns": turns}, "refs": {"speakers": {}}})
    before = IdentifyStage().fingerprint(ctx)
    again = IdentifyStage().run(ctx).outputs["speakers"]
    assert again["speaker90"]["character_id"] == wrong and again["speaker90"]["provider"] == "assigned"
    # the other label may no longer take that character: it is matched elsewhere or new, never shared
    assert again["speaker91"]["character_id"] != wrong
    assert EpisodeSpeaker.objects.get(job_id=job.pk, label="speaker90").provider == "assigned"
    # the assignment is part of identify's fingerprint: changing it makes identify (and what follows) run again
    EpisodeSpeaker.objects.filter(pk=row.pk).update(character_id=a["speakers"]["speaker90"]["character_id"])
    assert IdentifyStage().fingerprint(ctx) != before


def test_without_an_embedding_engine_every_speaker_is_new_and_flagged(tmp_path, eval_dir, monkeypatch, caplog):
    from media.engine import EngineUnavailable

    def none(*a, **k):
        raise EngineUnavailable("embeddings: no engine available (test)")

    monkeypatch.setattr(registry().__class__, "select", none)
    out = identify(tmp_path, make_series(), 1, eval_dir / "sample.wav", rttm(eval_dir, "sample.rttm", "sample"))
    assert all(v["provider"] == "new" and v["flagged"] for v in out["speakers"].values())
    assert not EmbeddingSnapshot.objects.exists()
    assert any("no speaker-embedding engine" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("flag", ["privacy_mode", "voice_memory"])
def test_privacy_mode_or_memory_off_keeps_no_embeddings_and_says_so(tmp_path, eval_dir, flag, caplog):
    series = make_series(**{flag: flag == "privacy_mode"})
    identify(tmp_path, series, 1, eval_dir / "sample.wav", rttm(eval_dir, "sample.rttm", "sample", 0, 15), 0, 15)
    b = identify(tmp_path, series, 2, eval_dir / "sample.wav", rttm(eval_dir, "sample.rttm", "sample", 15, 30), 15, 30)
    assert all(v["provider"] == "new" for v in b["speakers"].values())  # nothing remembered, nothing matched
    assert not EmbeddingSnapshot.objects.exists() and not CharacterEmbedding.objects.exists()
    said = " ".join(r.getMessage() for r in caplog.records)
    assert ("privacy mode" if flag == "privacy_mode" else "voice memory off") in said


def test_embeddings_are_encrypted_at_rest(tmp_path, eval_dir):
    out = identify(tmp_path, make_series(), 1, eval_dir / "sample.wav", rttm(eval_dir, "sample.rttm", "sample"))
    assert EmbeddingSnapshot.objects.count() == 2
    for row in list(EmbeddingSnapshot.objects.all()) + list(CharacterEmbedding.objects.all()):
        blob = bytes(row.blob)
        assert blob.startswith(b"gAAAAA")  # a Fernet token, not float32 bytes
        assert len(blob) > row.dim * 4
        raw = np.frombuffer(blob[: (len(blob) // 4) * 4], dtype="<f4")
        assert not (np.isfinite(raw).all() and np.abs(raw).max() < 1.0)
    assert out["speakers"]
