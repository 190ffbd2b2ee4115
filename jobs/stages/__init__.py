"""The stages of the one pipeline, and the pass plan: which stages each kind of pass runs.

    dub      extract → separate → diarize → refs → identify → asr → translate → segments → tts → mix → mux → qc
    clone    tts (clone voices from the job's or the series' refs) → mix → mux → qc
    resynth  tts (the lines' current text and stored voice plans; only changed lines spoken) → mix → mux → qc

A job's plan is built from its `Pass` rows (`pass_plan`); stages ask the pass's kind
(`ctx.kind`), never its number.
"""
from __future__ import annotations

from typing import NamedTuple

from jobs.models import PassKind

from .asr import AsrStage
from .base import JobCancelled, JobFailure, Stage, StageContext, StageResult
from .diarize import DiarizeStage
from .extract import ExtractStage
from .identify import IdentifyStage
from .mix import MixStage
from .mux import MuxStage
from .qc import QcStage
from .refs import RefsStage
from .segments import SegmentsStage
from .separate import SeparateStage
from .translate import TranslateStage
from .tts import TtsStage

__all__ = ["STAGES_BY_KIND", "PlannedPass", "JobCancelled", "JobFailure", "Stage", "StageContext", "StageResult",
           "pass_plan", "default_kinds", "stage_key"]

# One instance of each stage: the per-pass stages behave by `ctx.kind`.
_TTS, _MIX, _MUX, _QC = TtsStage(), MixStage(), MuxStage(), QcStage()
STAGES_BY_KIND: dict[str, list[Stage]] = {
    PassKind.DUB: [ExtractStage(), SeparateStage(), DiarizeStage(), RefsStage(), IdentifyStage(), AsrStage(),
                   TranslateStage(), SegmentsStage(), _TTS, _MIX, _MUX, _QC],
    PassKind.CLONE: [_TTS, _MIX, _MUX, _QC],
    PassKind.RESYNTH: [_TTS, _MIX, _MUX, _QC],
}


class PlannedPass(NamedTuple):
    number: int
    kind: str  # PassKind
    stages: list[Stage]


def default_kinds(two_pass: bool) -> list[str]:
    """The passes a new job gets: the dub, then the clone pass when two-pass is on."""
    return [PassKind.DUB, PassKind.CLONE] if two_pass else [PassKind.DUB]


def pass_plan(job) -> list[PlannedPass]:
    """The job's passes in order, from its Pass rows (a job made before passes had rows gets
    the default passes of its two-pass flag)."""
    rows = list(job.passes.order_by("number").values_list("number", "kind"))
    if not rows:
        rows = list(enumerate(default_kinds(job.two_pass), start=1))
    return [PlannedPass(number, PassKind(kind), STAGES_BY_KIND[kind]) for number, kind in rows]


def stage_key(stage, pass_number: int) -> str:
    """Where a stage's outputs are kept: per-pass stages are `<name>@<pass>`."""
    return f"{stage.name}@{pass_number}" if getattr(stage, "per_pass", False) else stage.name
