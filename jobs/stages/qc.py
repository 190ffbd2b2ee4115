"""qc (per pass, after mux): every line of the dub checked (round trip, voice, timing, level),
the episode measured (loudness, coverage), failing lines flagged for the editors, and `qc.json`
written with every figure. Optional by nature: a QC engine that fails never fails the dub."""
from __future__ import annotations

import json
import time

import numpy as np
from django.db import transaction

from media import loudness
from media.audio import load
from media.qc import FLAGS, LineSpec, Thresholds, check_episode, check_lines, coverage
from review.services import segment_add_flags

from .base import StageContext, StageResult
from .lineplans import fetch_clip, segments_of
from .qc_engines import QcEngines, thresholds_from_settings
from .qc_heard import wait_for_ahead

RATE = 16000


class QcStage:
    name, version, per_pass = "qc", 1, True

    def fingerprint(self, ctx: StageContext) -> str:
        return ctx.fingerprint_of(self, ["mux", "tts", "mix", "diarize"], thresholds=thresholds_from_settings().as_dict())

    def run(self, ctx: StageContext) -> StageResult:
        """QC never fails a dub: when it cannot run, the pass ends with the dub and the reason."""
        result = None
        with ctx.optional("qc"):
            result = self._check(ctx)
        return result or StageResult(outputs={"verdict": "unchecked", "failures": {}}, engines={})

    def _check(self, ctx: StageContext) -> StageResult:
        began = time.monotonic()
        spent: dict[str, float] = {}  # seconds per part, in qc.json: where QC's time goes
        timed = _timer(spent)
        job, n = ctx.job, ctx.pass_number
        ahead = timed("listen-ahead wait", wait_for_ahead)(job.pk, n)  # clips heard while mix and mux ran
        thresholds = thresholds_from_settings()
        rows = sorted((s for s in segments_of(job) if s.target_text.strip()), key=lambda s: (s.start, s.index))
        dialogue = timed("load", load)(ctx.local(ctx.out("tts")["dialogue"]), mono=True, sample_rate=RATE).samples
        mix_audio = timed("load", load)(ctx.local(ctx.out("mix")["mix"]), sample_rate=RATE).samples
        engines = QcEngines(ctx, language=job.target_language, known_voices=ahead)
        specs = []
        for s in rows:
            plan = s.voice_plan or {}
            seconds = plan.get("seconds")
            at = plan.get("at")  # where tts placed the clip (moved off the line's start: media.placement)
            begin = float(at) if at is not None else s.start
            specs.append(LineSpec(s.index, s.start, s.end, s.target_text, character=_code(s), dub_start=begin,
                                  dub_end=begin + seconds if seconds else s.end, speed=float(plan.get("speed") or 1.0),
                                  overrun="overrun" in s.flags))
        refs = timed("voice", engines.references)(rows)
        clips = {}
        for seg in rows:  # each line alone (its fitted clip), not a slice where lines overlap
            name = (seg.voice_plan or {}).get("clip")
            with ctx.optional(f"line {seg.index}'s clip"):
                if name:
                    clips[seg.index] = timed("load", load)(fetch_clip(ctx.workspace, name), mono=True,
                                                           sample_rate=RATE).samples
        lines = check_lines(specs, dialogue=dialogue, rate=RATE, mix=mix_audio, mix_rate=RATE,
                            transcribe_many=timed("round_trip", engines.transcribe_many), embed=timed("voice", engines.embed), refs=refs, thresholds=thresholds,
                            clips=clips)
        mix_path = ctx.local(ctx.out("mix")["mix"])
        loud = dict(ctx.out("mix")["loudness"])
        with ctx.optional("short-term loudness"):
            curve, measured = timed("loudness", loudness.profile)(mix_path, step=1.0)  # one ebur128 pass: curve + LRA
            loud.update(measured.as_dict(), short_term=curve)
        turns = ctx.out("diarize").get("turns", [])
        share = coverage([(sp.dub_start, sp.dub_end) for sp in specs], [(t["start"], t["end"]) for t in turns])
        episode = check_episode(lines, loudness={k: loud.get(k) for k in ("integrated_lufs", "true_peak_dbtp", "lra")},
                                target_lufs=engines.target_lufs, ceiling_dbtp=engines.ceiling_dbtp,
                                coverage_share=share, thresholds=thresholds)
        by_pk = {s.pk: q for s, q in zip(rows, lines)}  # both in start order
        segment_add_flags(segment_ids_flags={pk: q.flags for pk, q in by_pk.items()}, drop=set(FLAGS))
        characters = {t["speaker"]: c for t in turns for c in [engines.character_of(t["speaker"])] if c}
        rel = ctx.out("mux")["qc"]  # mux's summary, completed here: one qc.json per pass
        report = json.loads(ctx.local(rel).read_text())
        report.update({
            "pass": n, "kind": str(ctx.kind), "verdict": episode.verdict, "reasons": episode.reasons,
            "thresholds": episode.thresholds, "duration": ctx.out("extract")["duration"],
            "episode": {**episode.as_dict(), "short_term": loud.get("short_term", []),
                        "target_lufs": engines.target_lufs, "ceiling_dbtp": engines.ceiling_dbtp},
            "engines": engines.described(),
            "lines": [{**q.as_dict(), "start": sp.start, "end": sp.end, "dub_start": sp.dub_start,
                       "dub_end": sp.dub_end, "text": sp.text, "segment": s.pk}
                      for s, sp, q in zip(rows, specs, lines)],
            "source_turns": [{**t, "character": characters.get(t["speaker"], "")} for t in turns],
            "per_character": _per_character(lines),
            "seconds": round(time.monotonic() - began, 2),
            "seconds_by_part": {k: round(v, 2) for k, v in spent.items()},
        })
        ctx.workspace.path(rel).write_text(json.dumps(report, indent=2, allow_nan=False, default=_plain))
        stored = ctx.workspace.publish(rel)
        Job = type(job)
        with transaction.atomic():  # the verdict joins the outputs it judges (pages list it without storage)
            row = Job.objects.select_for_update().get(pk=job.pk)
            if row.outputs.get("pass") == n:
                Job.objects.filter(pk=job.pk).update(outputs={**row.outputs, "qc_verdict": episode.verdict,
                                                              "qc_flagged": sum(1 for q in lines if q.flags)})
        failing = {f: c for f, c in episode.failures.items() if c}
        ctx.event(f"qc pass {n}: verdict {episode.verdict}; {sum(1 for q in lines if q.flags)} of {len(lines)} "
                  f"line(s) flagged" + (f" ({', '.join(f'{k} {v}' for k, v in failing.items())})" if failing else "")
                  + (f"; {'; '.join(episode.reasons)}" if episode.reasons else "")
                  + f"; {report['seconds']:.1f} s")
        return StageResult(outputs={"report": rel, "verdict": episode.verdict, "failures": episode.failures,
                                    "stored": {rel: stored}},
                           engines=engines.described())


def _timer(spent: dict[str, float]):
    def timed(part: str, fn):
        def run(*args, **kwargs):
            t0 = time.monotonic()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[part] = spent.get(part, 0.0) + time.monotonic() - t0
        return run
    return timed


def _code(seg) -> str:
    return seg.character.code if seg.character_id else (seg.diar_label or "?")


def _per_character(lines) -> dict:
    out: dict[str, dict] = {}
    for q in lines:
        if q.similarity is None:
            continue
        entry = out.setdefault(q.character, {"similarities": []})
        entry["similarities"].append(q.similarity)
    for entry in out.values():
        entry["mean_similarity"] = round(float(np.mean(entry["similarities"])), 4)
    return out


def _plain(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")
