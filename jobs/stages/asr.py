"""asr: transcribe the dialogue stem (word timestamps, language detection, confidences)."""
from __future__ import annotations

import json

from media.asr import transcribe, word_times_method
from media.errors import EngineUnavailable

from .base import JobFailure, StageContext, StageResult
from .separate import analysis_input


class AsrStage:
    # v2: word times aligned after a plain decode (media.whisper_words), so no phrase is lost
    name, version, per_pass = "asr", 2, False

    def fingerprint(self, ctx: StageContext) -> str:
        series = ctx.job.episode.season.series
        return ctx.fingerprint_of(self, ["extract", "separate"], model=ctx.settings.asr_model,
                                  language=series.source_language, word_times=word_times_method())

    def run(self, ctx: StageContext) -> StageResult:
        rel, label = analysis_input(ctx)
        language = ctx.job.episode.season.series.source_language
        try:
            transcript = transcribe(ctx.local(rel), model=ctx.settings.asr_model, language=language,
                                    progress=ctx.advance)
        except EngineUnavailable as exc:
            raise JobFailure(f"speech recognition for {language!r} is not possible here: {exc}") from exc
        ctx.workspace.path("transcript.json").write_text(json.dumps(transcript.as_dict(), indent=2))
        stored = {"transcript.json": ctx.workspace.publish("transcript.json")}
        words = sum(len(s.words) for s in transcript.segments)
        ctx.event(f"asr: whisper {transcript.model} on {label}, language {transcript.language} "
                  f"(p={transcript.language_probability:.2f}), {len(transcript.segments)} segments, {words} words")
        return StageResult(outputs={"transcript": "transcript.json", "language": transcript.language,
                                    "segments": len(transcript.segments), "stored": stored},
                           engines={"asr": f"faster-whisper {transcript.model}"})
