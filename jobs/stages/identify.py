"""identify: each diarization label → a persistent character of the series (voice memory).

Per label, a speaker embedding of its clean speech (its turns with nobody else talking) is
matched against the series' characters (voices.memory): a person's assignment wins, then a
confident match, else a new character. The job's refs are then kept as series refs for the
characters that lack a good one (voices.series_refs).
"""
from __future__ import annotations

import logging

from media.audio import load
from media.diarization import Turn
from media.embeddings import registry
from media.engine import EngineFailed, EngineUnavailable
from media.errors import MediaError
from media.refs import clean_speech
from voices.memory import MIN_SECONDS, LabelVoice, assignments, identify_speakers, memory_state
from voices.series_refs import keep_series_refs

from .base import StageContext, StageResult
from .separate import analysis_input


def _embedder():
    try:
        return registry().select().engine, ""
    except (EngineUnavailable, EngineFailed) as exc:
        return None, str(exc)


class IdentifyStage:
    name, version, per_pass = "identify", 2, False

    def fingerprint(self, ctx: StageContext) -> str:
        series = ctx.job.episode.season.series
        engine, why = _embedder()
        return ctx.fingerprint_of(self, ["separate", "diarize", "refs"], assigned=assignments(ctx.job.pk),
                                  memory=memory_state(series)[0], threshold=series.voice_threshold,
                                  model=engine.model_id if engine else why)

    def run(self, ctx: StageContext) -> StageResult:
        job = ctx.job
        series = job.episode.season.series
        turns = [Turn(t["start"], t["end"], t["speaker"]) for t in ctx.out("diarize")["turns"]]
        labels = sorted({t.speaker for t in turns})
        engine, no_engine = _embedder()
        voices = []
        if labels:
            rel, _ = analysis_input(ctx)
            audio = load(ctx.local(rel), mono=True, sample_rate=16000)
        for i, label in enumerate(labels):
            ctx.advance(i / max(len(labels), 1))
            talk = sum(t.end - t.start for t in turns if t.speaker == label)
            clip, seconds, overlapped = clean_speech(audio.samples, audio.sample_rate, turns, label)
            embedding, note = None, ""
            if engine is None:
                note = f"no speaker-embedding engine ({no_engine})"
            elif seconds < MIN_SECONDS:
                note = f"only {seconds:.1f} s of speech: too little to recognise the voice"
            else:
                try:
                    embedding = engine.embed(clip, audio.sample_rate)
                    if overlapped:
                        note = "only overlapped speech: the voice may be mixed with another"
                except (MediaError, EngineFailed) as exc:
                    note = f"no voice embedding: {exc}"
            voices.append(LabelVoice(label, embedding, seconds, talk, note, overlapped and embedding is not None))
        mapping, report = identify_speakers(series=series, episode=job.episode, job_id=job.pk, voices=voices,
                                            model_id=engine.model_id if engine else None, no_engine=no_engine)
        self._log(ctx, mapping, report, engine, no_engine)
        with ctx.optional("keeping series refs"):
            keep_series_refs(ctx, ctx.out("refs")["speakers"], mapping)
        return StageResult(outputs={"speakers": mapping, "matching": report},
                           engines={"identify": "voice-memory", "embeddings": engine.name if engine else None})

    @staticmethod
    def _log(ctx: StageContext, mapping: dict, report: dict, engine, no_engine: str) -> None:
        if engine is None:
            ctx.event(f"voice memory: no speaker-embedding engine ({no_engine}); every speaker becomes a new "
                      "character, flagged for review", level=logging.WARNING)
        elif not report.get("remember"):
            ctx.event(f"voice memory: nothing remembered or matched ({report.get('why_not')})")
        else:
            ctx.event(f"voice memory: {len(report.get('characters', []))} known voice(s) in {report['model']}, "
                      f"threshold {report['threshold']:.2f}, margin {report['margin']:.2f}",
                      data={"matching": report})
        parts = []
        for label, d in mapping.items():
            sim = f" {d['similarity']:.2f}" if d["similarity"] is not None else ""
            flag = f" FLAGGED: {d['reason']}" if d["flagged"] else (f" ({d['reason']})" if d["reason"] else "")
            parts.append(f"{label} → {d['code']} ({d['provider']}{sim}){flag}")
        ctx.event("speakers → characters: " + (", ".join(parts) or "none"))
