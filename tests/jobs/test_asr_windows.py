"""The asr stage's choice of windows: the diarization's stretches of talk, or the whole audio."""
from __future__ import annotations

import pytest

from jobs.stages.asr import AsrStage
from media.errors import MediaError


class Ctx:
    def __init__(self, turns):
        self.outputs = {"diarize": {"turns": turns}, "extract": {"duration": 30.0}}

    def out(self, stage):
        return self.outputs[stage]


TURNS = [{"start": 1.0, "end": 6.0, "speaker": "SPEAKER_00"}, {"start": 5.5, "end": 9.0, "speaker": "SPEAKER_01"},
         {"start": 20.0, "end": 26.0, "speaker": "SPEAKER_00"}]


def test_the_stage_decodes_the_stretches_of_talk_by_default(monkeypatch):
    monkeypatch.delenv("DUBSITE_ASR_WINDOWS", raising=False)
    assert AsrStage()._islands(Ctx(TURNS)) == [(0.8, 9.2), (19.8, 26.2)]


def test_whole_or_no_turns_decodes_the_whole_audio(monkeypatch):
    monkeypatch.setenv("DUBSITE_ASR_WINDOWS", "whole")
    assert AsrStage()._islands(Ctx(TURNS)) is None
    monkeypatch.delenv("DUBSITE_ASR_WINDOWS")
    assert AsrStage()._islands(Ctx([])) is None  # nothing to go by: whisper's own VAD decides


def test_an_unknown_setting_is_refused(monkeypatch):
    monkeypatch.setenv("DUBSITE_ASR_WINDOWS", "sentences")
    with pytest.raises(MediaError, match="DUBSITE_ASR_WINDOWS must be one of islands, whole"):
        AsrStage()._islands(Ctx(TURNS))
