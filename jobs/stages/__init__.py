"""The stages of the one pipeline, in order. Each pass runs a slice of this list.

pass 1: extract → separate → diarize → refs → identify → asr → translate → segments → tts → mix → mux
pass 2: tts (clone) → mix → mux
"""
from .asr import AsrStage
from .base import JobCancelled, JobFailure, Stage, StageContext, StageResult
from .diarize import DiarizeStage
from .extract import ExtractStage
from .identify import IdentifyStage
from .mix import MixStage
from .mux import MuxStage
from .refs import RefsStage
from .segments import SegmentsStage
from .separate import SeparateStage
from .translate import TranslateStage
from .tts import TtsStage

__all__ = ["PASS_1", "PASS_2", "JobCancelled", "JobFailure", "Stage", "StageContext", "StageResult", "stage_plan",
           "stage_key"]

PASS_1: list[Stage] = [ExtractStage(), SeparateStage(), DiarizeStage(), RefsStage(), IdentifyStage(), AsrStage(),
                       TranslateStage(), SegmentsStage(), TtsStage(), MixStage(), MuxStage()]
PASS_2: list[Stage] = [TtsStage(), MixStage(), MuxStage()]


def stage_plan(job) -> dict[int, list[Stage]]:
    plan = {1: PASS_1}
    if job.two_pass:
        plan[2] = PASS_2
    return plan


def stage_key(stage, pass_number: int) -> str:
    """Where a stage's outputs are kept: per-pass stages are `<name>@<pass>`."""
    return f"{stage.name}@{pass_number}" if getattr(stage, "per_pass", False) else stage.name
