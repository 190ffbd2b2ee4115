"""mix (per pass): dub dialogue over the background stem, ducked, at the loudness target."""
from __future__ import annotations

import os

from media.mix import mix

from .base import StageContext, StageResult

TARGET_LUFS = float(os.environ.get("DUBSITE_TARGET_LUFS", "-23"))


class MixStage:
    name, version, per_pass = "mix", 1, True

    def fingerprint(self, ctx: StageContext) -> str:
        return ctx.fingerprint_of(self, ["tts", "separate"], target=TARGET_LUFS, true_peak=-1.0)

    def run(self, ctx: StageContext) -> StageResult:
        rel = f"audio/pass{ctx.pass_number}/final_mix.wav"
        result = mix(ctx.local(ctx.out("tts")["dialogue"]), ctx.local(ctx.out("separate")["background"]),
                     ctx.workspace.path(rel), target_lufs=TARGET_LUFS, true_peak_dbtp=-1.0)
        stored = {rel: ctx.workspace.publish(rel)}
        ctx.event(f"mix pass {ctx.pass_number}: {result.integrated_lufs:.1f} LUFS (target {TARGET_LUFS:.0f}), "
                  f"true peak {result.true_peak_dbtp:.1f} dBTP, bed ducked {result.duck_db:.0f} dB"
                  + (f"; {'; '.join(result.notes)}" if result.notes else ""))
        loud = {k: v for k, v in result.as_dict().items() if k != "path"}
        return StageResult(outputs={"mix": rel, "loudness": loud, "stored": stored}, engines={"mix": "ffmpeg"})
