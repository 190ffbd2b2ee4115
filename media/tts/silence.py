"""Last resort: silence of the slot's length, so the timeline keeps its shape and QC sees a gap."""
from __future__ import annotations

import numpy as np

from .base import EngineOutput, TtsRequest

__all__ = ["SilenceEngine", "SILENCE_RATE", "estimate_seconds"]

SILENCE_RATE = 24000
SECONDS_PER_CHAR = 0.065  # ~15 characters per second: ordinary speaking pace


def estimate_seconds(text: str) -> float:
    return max(0.5, len(text.strip()) * SECONDS_PER_CHAR)


class SilenceEngine:
    name = "silence"

    def availability(self) -> tuple[bool, str]:
        return True, "always available"

    def applies(self, request: TtsRequest) -> tuple[bool, str]:
        return True, ""

    def synthesize(self, request: TtsRequest) -> EngineOutput:
        seconds = request.slot_seconds if request.slot_seconds and request.slot_seconds > 0 else estimate_seconds(request.text)
        return EngineOutput(np.zeros(int(round(seconds * SILENCE_RATE)), dtype=np.float32), SILENCE_RATE, "silence")
