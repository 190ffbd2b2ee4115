"""separate: dialogue and background stems (demucs when installed, else DeepFilterNet3, else a flagged fallback)."""
from __future__ import annotations

from media import deepfilter, ffmpeg, modelpaths
from media.separation import separate

from .base import StageContext, StageResult


class SeparateStage:
    # v2: the 16 kHz dialogue stem is published too, so later stages find it after the work folder went
    name, version, per_pass = "separate", 2, False

    def fingerprint(self, ctx: StageContext) -> str:
        demucs, _ = modelpaths.demucs_repo()
        weights = sorted(p.name for p in demucs.glob("*.th")) if demucs else []
        # which engine can run decides the stems: demucs' weights, DeepFilterNet's version (or its absence)
        return ctx.fingerprint_of(self, ["extract"], preference=ctx.settings.separation, demucs=weights,
                                  deepfilternet=deepfilter.availability()[1])

    def run(self, ctx: StageContext) -> StageResult:
        stereo = ctx.local(ctx.out("extract")["audio_stereo"])
        result = separate(stereo, ctx.workspace.path("stems/.keep").parent, preference=ctx.settings.separation)
        ffmpeg.extract_analysis(result.dialogue, ctx.workspace.path("stems/dialogue_16k.wav"))
        stored = {rel: ctx.workspace.publish(rel)
                  for rel in ("stems/dialogue.wav", "stems/background.wav", "stems/dialogue_16k.wav")}
        # ASR and diarization hear the dialogue stem only from demucs: DeepFilterNet's stem lost words
        # against the mix on conversation over music (README, Separation), so they keep the full mix
        analysis = "dialogue" if result.engine == "demucs" else "full"
        ctx.event(f"separation: engine={result.engine}" + (" (degraded: dialogue = full mix)" if result.degraded else "")
                  + (f"; skipped {'; '.join(result.reasons)}" if result.reasons else ""))
        return StageResult(
            outputs={"dialogue": "stems/dialogue.wav", "background": "stems/background.wav",
                     "dialogue_16k": "stems/dialogue_16k.wav", "degraded": result.degraded,
                     "engine": result.engine, "analysis": analysis, "stored": stored},
            engines={"separation": result.engine, "skipped": result.reasons},
        )


def analysis_input(ctx: StageContext) -> tuple[str, str]:
    """(relative path, label): the dialogue stem when demucs separated, else the full mix."""
    return analysis_source(ctx.out("separate"), ctx.out("extract"))


def analysis_source(separate_outputs: dict, extract_outputs: dict) -> tuple[str, str]:
    """`analysis_input` from the two stages' stored outputs (a job that has ended has no context)."""
    # outputs stored before "analysis" existed: the stem whenever separation really separated
    analysis = separate_outputs.get("analysis", "full" if separate_outputs["degraded"] else "dialogue")
    if analysis == "dialogue":
        return separate_outputs["dialogue_16k"], "dialogue"
    return extract_outputs["audio"], "full"
