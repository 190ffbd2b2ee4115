"""identify: each diarization label → a persistent character of the series.

Voice memory (matching a speaker to a known character by voice) hooks in here; until a
series has it, each new label becomes a new character. A re-run of the same job reuses the
characters it created (marked with the job and label), so resume never duplicates them.
"""
from __future__ import annotations

from series.models import Character
from series.services import character_create

from .base import StageContext, StageResult


class IdentifyStage:
    name, version, per_pass = "identify", 1, False

    def fingerprint(self, ctx: StageContext) -> str:
        return ctx.fingerprint_of(self, ["diarize"])

    def run(self, ctx: StageContext) -> StageResult:
        series = ctx.job.episode.season.series
        labels = sorted({t["speaker"] for t in ctx.out("diarize")["turns"]})
        mapping = {}
        for label in labels:
            origin = {"job": ctx.job.pk, "label": label}
            character = Character.objects.filter(series=series, voice_settings__origin=origin).first()
            provider = "existing"
            if character is None:
                character = character_create(actor=None, series=series, display_name="",
                                             voice_settings={"origin": origin})
                provider = "new"
            mapping[label] = {"character_id": character.pk, "code": character.code, "provider": provider,
                              "similarity": None}
        ctx.event("speakers → characters: " + (", ".join(f"{k} → {v['code']} ({v['provider']})"
                                                          for k, v in mapping.items()) or "none"))
        return StageResult(outputs={"speakers": mapping}, engines={"identify": "new-character-per-label"})
