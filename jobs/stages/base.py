"""What a stage is: a name, a fingerprint of its inputs, and a run that returns outputs.

Stages are the one implementation of each step: the worker, `manage.py dub` and every later
pass call the same `run`. A stage reads earlier stages' outputs from `ctx.outputs[<stage>]`,
and asks `ctx.kind` (dub, clone, resynth) what its pass is for, never the pass number.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..artifacts import Workspace

__all__ = ["Stage", "StageContext", "StageResult", "JobFailure", "JobCancelled", "fingerprint"]


class JobFailure(Exception):
    """An expected failure (bad input, no usable engine): the job ends FAILED with this reason."""


class JobCancelled(Exception):
    pass


def fingerprint(payload: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a stage's inputs, parameters and engine/model ids."""
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class StageResult:
    outputs: dict[str, Any] = field(default_factory=dict)
    engines: dict[str, Any] = field(default_factory=dict)


@dataclass
class StageContext:
    job: Any  # jobs.models.Job (kept untyped so stages stay importable without the ORM loaded)
    pass_number: int
    workspace: Workspace
    outputs: dict[str, dict] = field(default_factory=dict)  # finished stages' outputs by name
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("jobs.pipeline"))
    settings: Any = None  # jobs.modes.ModeSettings
    fingerprints: dict[str, str] = field(default_factory=dict)  # by output key (see Stage.key)
    stage: str = ""
    progress: Any = None  # callable(fraction of the current stage done), set by the pipeline
    kind: str = "dub"  # jobs.models.PassKind of this pass: what the per-pass stages do

    def event(self, message: str, *, level: int = logging.INFO, data: dict | None = None) -> None:
        self.log.log(level, message, extra={"data": data or {}, "stage": self.stage})

    @contextlib.contextmanager
    def optional(self, step: str):
        """An optional step (keeping series refs, fetching them, previews, QC) never turns a
        good dub into an error: its failure is logged with the reason and the stage goes on.
        Cancels and stops still propagate."""
        try:
            yield
        except (JobCancelled, KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - optional by design; the reason goes to the job log
            self.log.warning("%s skipped: %s: %s", step, exc.__class__.__name__, exc, exc_info=True,
                             extra={"stage": self.stage, "data": {"optional": step}})

    def advance(self, fraction: float) -> None:
        """Report progress inside a long stage (0..1); the job's overall progress follows."""
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0))

    def out(self, stage: str) -> dict:
        """Outputs of an earlier stage (pass-tagged stages: of this pass)."""
        key = stage if stage in self.outputs else f"{stage}@{self.pass_number}"
        return self.outputs[key]

    def local(self, rel: str):
        return self.workspace.ensure_local(rel)

    def fingerprint_of(self, stage, deps: list[str], **params) -> str:
        """Fingerprint from a stage's identity, parameters and its dependencies' fingerprints."""
        dep_fps = {d: self.fingerprints.get(d) or self.fingerprints.get(f"{d}@{self.pass_number}") for d in deps}
        return fingerprint({"stage": stage.name, "v": getattr(stage, "version", 1), "pass": self.pass_number
                            if getattr(stage, "per_pass", False) else None, "deps": dep_fps, "params": params})


class Stage(Protocol):
    name: str
    per_pass: bool  # True: runs once per pass (tts, mix, mux), outputs keyed "<name>@<pass>"

    def fingerprint(self, ctx: StageContext) -> str: ...

    def run(self, ctx: StageContext) -> StageResult: ...
