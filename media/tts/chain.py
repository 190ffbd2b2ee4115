"""The TTS chain: XTTS clone → XTTS preset → Piper → flite → espeak-ng → silence, with reasons.

One call per line. Engines that do not apply to the request (no clone asked, a voice of
another engine, a language they do not speak) are passed over with a reason; engines that
fail at run time hand over to the next (media.engine.Registry.run). Every reason ends up in
TtsResult.fallback_reasons so the job log can say why a line did not get a cloned voice.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..engine import Registry
from .base import EngineOutput, TtsEngine, TtsRequest, TtsResult, as_mono_float
from .espeak import EspeakEngine
from .flite import FliteEngine
from .piper import PiperEngine
from .silence import SilenceEngine
from .xtts import XttsCloneEngine, XttsPresetEngine

__all__ = ["ORDER", "registry", "synthesize", "finish"]

ORDER = ("xtts", "xtts-preset", "piper", "flite", "espeak", "silence")
TARGET_RMS = 0.1  # about -20 dBFS of active speech: lines from different engines sit level
PEAK_CAP = 0.95
TRIM_DB = -50.0
TRIM_PAD = 0.05  # seconds of edge silence kept


def registry() -> Registry[TtsEngine]:
    """TTS engines in default preference order."""
    return Registry("tts", [XttsCloneEngine(), XttsPresetEngine(), PiperEngine(), FliteEngine(), EspeakEngine(),
                                SilenceEngine()])


def finish(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Trim edge silence and bring active speech to a common level (peak kept below 0.95)."""
    x = as_mono_float(samples)
    if x.size == 0:
        return x
    peak = float(np.max(np.abs(x)))
    if peak <= 0.0:
        return x
    frame = max(int(0.01 * sample_rate), 1)
    n = len(x) // frame
    if n > 0:
        rms = np.sqrt(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
        loud = np.nonzero(20 * np.log10(rms / peak) > TRIM_DB)[0]
        if loud.size:
            pad = int(TRIM_PAD * sample_rate)
            start = max(loud[0] * frame - pad, 0)
            end = min((loud[-1] + 1) * frame + pad, len(x))
            x = x[start:end]
            active = rms[loud]
            level = float(np.sqrt(np.mean(active**2)))
            gain = min(TARGET_RMS / max(level, 1e-9), PEAK_CAP / peak)
            x = x * gain
    return x.astype(np.float32)


def synthesize(
    request: TtsRequest,
    *,
    preference: Sequence[str] | None = None,
    engines: Registry | None = None,
) -> TtsResult:
    """Synthesize one line with the first engine that applies and works.

    `preference` puts named engines first (e.g. ["espeak"] from the CLI). Without it, a voice
    naming an engine starts the chain at that engine (after XTTS cloning, when asked).
    """
    reg = engines or registry()
    ordered = reg.ordered(preference)
    position = {name: i for i, name in enumerate(ORDER)}
    voice_engine = request.voice.engine if request.voice else ""
    reasons: dict[str, str] = {}
    candidates = []
    for engine in ordered:
        if not request.text.strip() and engine.name != "silence":
            reasons[engine.name] = "nothing to say (empty text)"
            continue
        ok, why = engine.applies(request)
        if not ok:
            reasons[engine.name] = why
            continue
        if (not preference and voice_engine in position and engine.name in position and engine.name != "xtts"
                and position[engine.name] < position[voice_engine]):
            reasons[engine.name] = f"voice {request.voice.key} belongs to {voice_engine}"
            continue
        candidates.append(engine)

    attempted: list[str] = []

    def call(engine) -> EngineOutput:
        attempted.append(engine.name)
        return engine.synthesize(request)

    out, selection = Registry("tts", candidates).run(call)
    for skip in selection.skipped:
        reasons[skip.engine] = skip.reason
    provider = selection.engine.name
    names = [e.name for e in ordered]
    stop = names.index(provider)
    fallback = [f"{name}: {reasons[name]}" for name in names[:stop] if name in reasons]
    samples = out.samples if provider == "silence" else finish(out.samples, out.sample_rate)
    if samples.size == 0:
        samples = np.zeros(int(0.1 * out.sample_rate), dtype=np.float32)
    return TtsResult(
        samples=samples,
        sample_rate=out.sample_rate,
        provider=provider,
        voice_id=out.voice_id,
        clone_attempted="xtts" in attempted,
        clone_succeeded=out.cloned,
        fallback_reasons=fallback,
    )
