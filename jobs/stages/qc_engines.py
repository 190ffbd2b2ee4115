"""The engines QC listens with: the fast ASR model for the round trip, the speaker-embedding
engine for voices, and each character's voice reference: for a preset voice, the probe sentence
in that voice (so episodes compare against the same reference: that is what makes voice drift
measurable); for a cloned voice, the person's own reference recording the clone was made from.
Each engine that is missing turns its check off and says why."""
from __future__ import annotations

import io
import os

import numpy as np
import soundfile as sf

from media.embeddings import registry as embedding_registry
from media.qc import MIN_VOICE_SECONDS, Thresholds
from media.tts import VoiceSpec
from media.voice_match import probe_embedding
from voices.crypto import EncryptionUnavailable, InvalidToken
from voices.jobrefs import job_ref_bytes

from ..modes import crosstalk_cap_setting, max_shift_setting
from .mix import TARGET_LUFS
from .qc_heard import RATE, clip_digest, hear, round_trip_model

__all__ = ["QcEngines", "thresholds_from_settings", "CEILING_DBTP"]

CEILING_DBTP = -1.0


def thresholds_from_settings() -> Thresholds:
    """Defaults in media.qc.Thresholds; each can be set with DUBSITE_QC_<NAME> (e.g. DUBSITE_QC_WER=0.3)."""
    # a line tts moved within its bound (DUBSITE_TTS_MAX_SHIFT), or sped up toward the crosstalk cap
    # because it was still talked over (DUBSITE_TTS_CROSSTALK_CAP), is so by design: flagged only beyond it
    base = Thresholds(offset=max(Thresholds().offset, max_shift_setting()),
                      speed=max(Thresholds().speed, crosstalk_cap_setting()))
    values = {}
    for name in base.as_dict():
        raw = os.environ.get(f"DUBSITE_QC_{name.upper()}")
        if raw:
            values[name] = float(raw)
    return Thresholds(**{**base.as_dict(), **values})


class QcEngines:
    target_lufs, ceiling_dbtp = TARGET_LUFS, CEILING_DBTP

    def __init__(self, ctx, *, language: str, known_voices: dict[str, np.ndarray] | None = None):
        """`known_voices`: the clips' embeddings listen-ahead made, by clip digest (in memory)."""
        self.ctx, self.language = ctx, language
        self.known_voices = known_voices or {}
        self.notes: dict[str, str] = {}
        self.asr_model = round_trip_model(language, ctx.settings)
        self._embedder = None
        self.reused = 0
        try:
            self._embedder = embedding_registry().select().engine
        except Exception as exc:  # noqa: BLE001 - no engine: the voice check is off, and the report says why
            self.notes["voice"] = f"off: {exc}"
        identify = ctx.outputs.get("identify", {}).get("speakers", {})
        self._characters = {label: info.get("code", "") for label, info in identify.items()}

    def character_of(self, label: str) -> str:
        return self._characters.get(label, "")

    def transcribe_many(self, clips: list[np.ndarray], rate: int) -> list[str | None]:
        """Every line's text in a few ASR windows (media.roundtrip packs them into ≤ 28 s chunks,
        media.asr_batch decodes the chunks in batches); clips heard before, e.g. while mix and
        mux ran (qc_heard.listen_ahead), are not heard again."""
        texts, self.reused = hear(self.ctx.workspace, clips, rate, model=self.asr_model, language=self.language,
                                  on_error=lambda exc: self.notes.setdefault("round_trip", f"off: {exc}"))
        return texts

    def embed(self, samples: np.ndarray, rate: int) -> np.ndarray | None:
        if self._embedder is None or len(samples) < MIN_VOICE_SECONDS * rate:
            return None
        known = self.known_voices.get(clip_digest(samples)) if rate == RATE and self.known_voices else None
        if known is not None:
            return known
        try:
            return self._embedder.embed(samples, rate).vector
        except Exception:  # noqa: BLE001 - silent or too short after trimming: no figure for this line
            return None

    def references(self, rows) -> dict[str, np.ndarray]:
        """Per character: the embedding of the probe sentence in the voice its lines use."""
        if self._embedder is None:
            return {}
        out: dict[str, np.ndarray] = {}
        for seg in rows:
            code = seg.character.code if seg.character_id else (seg.diar_label or "?")
            plan = seg.voice_plan or {}
            voice = plan.get("voice")
            if code in out or not voice:
                continue
            try:
                if plan.get("clone"):  # a clone should sound like the person it was cloned from
                    vec = self._ref_embedding(plan.get("ref") or "")
                    if vec is None:
                        self.notes.setdefault("voice", f"{code} speaks with a cloned voice whose reference is unreadable")
                        continue
                    out[code] = vec
                else:
                    out[code] = probe_embedding(VoiceSpec.parse(voice), self.language, self._embedder)
            except Exception as exc:  # noqa: BLE001 - an engine error on one reference leaves the others
                self.notes.setdefault("voice", f"no reference for {code}: {exc}")
        return out

    def _ref_embedding(self, rel: str) -> np.ndarray | None:
        """The embedding of the job's (encrypted) reference of a cloned character, decrypted in
        memory only: voice data never lands on disk in plaintext for a QC figure."""
        if not rel:
            return None
        try:
            data = job_ref_bytes(self.ctx.workspace, rel)
        except (EncryptionUnavailable, InvalidToken, FileNotFoundError):
            return None
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
        return self.embed(samples.mean(axis=1), rate)

    def described(self) -> dict:
        return {"round_trip": self.asr_model, "round_trip_reused": self.reused,
                "voice": getattr(self._embedder, "name", None), "notes": self.notes}
