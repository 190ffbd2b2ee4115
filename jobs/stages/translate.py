"""translate: build speaker-attributed lines from words and turns, then translate each line.

Lines that no engine could translate keep their source text and are flagged
`needs_translation`; series glossary terms and character names are forced onto MT output.
"""
from __future__ import annotations

import json

from media.alignment import build_lines, snap_to_speech
from media.asr import AsrSegment, Word
from media.diarization import Turn
from media.translation import Glossary, SourceLine, Translation, translate
from media.vad import detect

from .base import StageContext, StageResult
from .separate import analysis_input


def load_segments(path) -> list[AsrSegment]:
    data = json.loads(path.read_text())
    return [AsrSegment(s["start"], s["end"], s["text"], s["avg_logprob"], s["no_speech_prob"],
                       [Word(**w) for w in s.get("words", [])]) for s in data["segments"]]


def series_glossary(series) -> Glossary:
    terms = dict(series.glossary or {})
    for name in series.characters.exclude(display_name="").values_list("display_name", flat=True):
        terms.setdefault(name, name)  # names are not translated
    return Glossary(terms)


def translate_for_job(job, lines: list[SourceLine], *, audio) -> Translation:
    """Translate lines as the job does: its series' languages and glossary, the engines' order.
    The stage and "Retranslate flagged" (jobs.line_translation) both call this."""
    series = job.episode.season.series
    return translate(lines, source=series.source_language, target=job.target_language, audio=audio,
                     glossary=series_glossary(series))


class TranslateStage:
    name, version, per_pass = "translate", 2, False

    def fingerprint(self, ctx: StageContext) -> str:
        series = ctx.job.episode.season.series
        return ctx.fingerprint_of(self, ["asr", "diarize"], source=series.source_language,
                                  target=ctx.job.target_language, glossary=series.glossary)

    def run(self, ctx: StageContext) -> StageResult:
        series = ctx.job.episode.season.series
        segments = load_segments(ctx.local(ctx.out("asr")["transcript"]))
        turns = [Turn(t["start"], t["end"], t["speaker"]) for t in ctx.out("diarize")["turns"]]
        rel, _ = analysis_input(ctx)
        lines = snap_to_speech(build_lines(segments, turns), detect(ctx.local(rel)))
        result = translate_for_job(ctx.job, [SourceLine(line.text, line.start, line.end) for line in lines],
                                   audio=ctx.local(rel))
        rows = []
        for line, tr in zip(lines, result.lines):
            rows.append({**line.as_dict(), "source_text": line.text, "target_text": tr.target_text,
                         "engine": tr.engine, "flags": sorted(set(line.flags) | set(tr.flags))})
        ctx.workspace.path("translated.json").write_text(json.dumps(
            {"source": series.source_language, "target": ctx.job.target_language, "engine": result.engine,
             "notes": result.notes, "lines": rows}, indent=2))
        stored = {"translated.json": ctx.workspace.publish("translated.json")}
        flagged = sum(1 for r in rows if "needs_translation" in r["flags"])
        ctx.event(f"translation {series.source_language}→{ctx.job.target_language}: {len(rows)} lines by "
                  f"{result.engine}" + (f"; {flagged} flagged needs_translation" if flagged else "")
                  + (f" ({'; '.join(result.notes)})" if result.notes else ""))
        return StageResult(outputs={"translated": "translated.json", "lines": len(rows), "stored": stored},
                           engines={"translation": result.engine, "notes": result.notes})
