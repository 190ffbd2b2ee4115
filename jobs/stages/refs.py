"""refs: a reference clip per speaker (6–12 s of their clean speech) for cloning and voice
matching. The clips are encrypted into job storage at once (voices.jobrefs): plaintext exists
only in the work folder while this stage writes them, and while a later stage speaks with them."""
from __future__ import annotations

import logging
from dataclasses import replace

from django.conf import settings

from media.audio import load
from media.diarization import Turn
from media.refs import RefParams, build_refs
from media.vad import detect
from voices.crypto import EncryptionUnavailable
from voices.jobrefs import store_job_ref

from .base import StageContext, StageResult
from .separate import analysis_input

FOLDER = "analysis/voice_refs"


class RefsStage:
    name, version, per_pass = "refs", 3, False

    def params(self) -> RefParams:
        low, high = settings.DUBSITE_REF_BUDGET
        return RefParams(budget_min=low, budget_max=high, min_segment=settings.DUBSITE_REF_MIN_SEGMENT)

    def fingerprint(self, ctx: StageContext) -> str:
        return ctx.fingerprint_of(self, ["separate", "diarize"], params=self.params().__dict__)

    def run(self, ctx: StageContext) -> StageResult:
        rel, label = analysis_input(ctx)
        audio = load(ctx.local(rel), mono=True, sample_rate=16000)
        turns = [Turn(t["start"], t["end"], t["speaker"]) for t in ctx.out("diarize")["turns"]]
        speech = detect(audio.samples, audio.sample_rate)
        refs = build_refs(audio.samples, audio.sample_rate, turns, speech, ctx.workspace.path(f"{FOLDER}/x").parent,
                          params=self.params())
        stored, unkept = {}, ""
        for ref in refs.values():
            for name in (ref.path, ref.clone_path):
                if not name:
                    continue
                try:
                    stored[f"{FOLDER}/{name}"] = store_job_ref(ctx.workspace, f"{FOLDER}/{name}")
                except EncryptionUnavailable as exc:  # the plaintext is gone all the same
                    unkept = str(exc)
        if unkept:
            ctx.event(f"voice refs not kept ({unkept}): no cloning or voice matching from this job's refs",
                      level=logging.WARNING)
            refs = {k: replace(r, path=None, clone_path=None, reason="not kept: " + unkept) for k, r in refs.items()}
        stored[f"{FOLDER}/manifest.json"] = ctx.workspace.publish(f"{FOLDER}/manifest.json")
        summary = ", ".join(f"{k} {r.seconds:.1f} s ({r.method}{'; ' + r.reason if r.reason else ''})"
                            for k, r in refs.items())
        ctx.event(f"refs from {label} (encrypted at rest): {summary or 'no speakers'}")
        speakers = {k: {"path": f"{FOLDER}/{r.path}" if r.path else None,
                        "clone_path": f"{FOLDER}/{r.clone_path}" if r.clone_path else None,
                        "seconds": r.seconds, "method": r.method, "reason": r.reason, "f0_hz": r.f0_hz}
                    for k, r in refs.items()}
        outputs = {"folder": FOLDER, "stored": stored, "speakers": speakers}
        return StageResult(outputs=outputs, engines={"vad": "silero|energy", "method": "concatenate-by-score"})
