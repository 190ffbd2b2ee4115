"""asr: transcribe the dialogue stem (word timestamps, language detection, confidences)."""
from __future__ import annotations

import json

from media.asr import transcribe, word_times_method
from media.asr_islands import speech_islands, windows_setting
from media.errors import EngineUnavailable

from .base import JobFailure, StageContext, StageResult
from .separate import analysis_input


class AsrStage:
    # v2: word times aligned after a plain decode (media.whisper_words), so no phrase is lost
    # v3: each stretch of talk the diarization found decoded on its own (media.asr_islands)
    name, version, per_pass = "asr", 3, False

    def fingerprint(self, ctx: StageContext) -> str:
        series = ctx.job.episode.season.series
        return ctx.fingerprint_of(self, ["extract", "separate", "diarize"], model=ctx.settings.asr_model,
                                  language=series.source_language, word_times=word_times_method(),
                                  windows=windows_setting())

    def _islands(self, ctx: StageContext) -> list[tuple[float, float]] | None:
        """The diarization's stretches of talk; None (decode the whole audio) when set so, or
        when the diarization found no turns (nothing to go by: whisper's own VAD decides)."""
        turns = ctx.out("diarize").get("turns") or []
        if windows_setting() != "islands" or not turns:
            return None
        duration = float(ctx.out("extract").get("duration") or max(t["end"] for t in turns))
        return speech_islands([(t["start"], t["end"]) for t in turns], duration)

    def run(self, ctx: StageContext) -> StageResult:
        rel, label = analysis_input(ctx)
        language = ctx.job.episode.season.series.source_language
        islands = self._islands(ctx)
        try:
            transcript = transcribe(ctx.local(rel), model=ctx.settings.asr_model, language=language,
                                    progress=ctx.advance, islands=islands)
        except EngineUnavailable as exc:
            raise JobFailure(f"speech recognition for {language!r} is not possible here: {exc}") from exc
        ctx.workspace.path("transcript.json").write_text(json.dumps(transcript.as_dict(), indent=2))
        stored = {"transcript.json": ctx.workspace.publish("transcript.json")}
        words = sum(len(s.words) for s in transcript.segments)
        how = f"{len(islands)} stretches of talk one by one" if islands is not None else "whole"
        ctx.event(f"asr: whisper {transcript.model} on {label} ({how}), language {transcript.language} "
                  f"(p={transcript.language_probability:.2f}), {len(transcript.segments)} segments, {words} words")
        return StageResult(outputs={"transcript": "transcript.json", "language": transcript.language,
                                    "segments": len(transcript.segments), "stored": stored,
                                    "islands": len(islands) if islands is not None else None},
                           engines={"asr": f"faster-whisper {transcript.model}"})
