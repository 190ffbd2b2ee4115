"""The duration budget beside a line being edited: its slot, how long its voice would take to say
the new text, and the speed-up that would need (warning past the job's speed cap, 1.35×: past it the
line overruns its slot), before anyone
synthesizes.

The estimate is the voice's speaking rate (media.tts.rate) applied to the text: microseconds per
keystroke once the voice is calibrated. A voice is calibrated once by speaking twelve sentences
(about 3 s with Piper on two cores), kept in memory and in `<var>/cache/speaking_rates.json` so a
restart does not pay it again. A cloned voice is not calibrated (seconds per sentence on a CPU):
its rate comes from the takes already made with it for this character, else from the line's preset
voice, and the answer says so.
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

from django.conf import settings

from dubsite.roles import require
from media.tts import synthesize
from media.tts.rate import SpeakingRate, calibrate, fit_rate
from media.tts.xtts import XttsCloneEngine

from .line_voice import line_voice
from .models import Segment, Take
from .takes import JobVoicing

__all__ = ["line_budget", "voice_rate"]

_rates: dict[str, SpeakingRate] = {}
_lock = threading.Lock()


def _cache_file() -> Path:
    return Path(getattr(settings, "VAR_DIR", settings.DUBSITE_WORK_DIR.parent)) / "cache" / "speaking_rates.json"


def _load_disk() -> dict:
    try:
        return json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return {}


def voice_rate(voice, language: str) -> SpeakingRate:
    """The calibrated rate of a preset voice (memory, then disk, then twelve sentences spoken)."""
    key = f"{language}|{voice.key if voice else 'any'}"
    with _lock:  # one calibration per voice even when several editors type at once
        if key in _rates:
            return _rates[key]
        stored = _load_disk().get(key)
        if stored:
            rate = SpeakingRate(**stored)
        else:
            rate = calibrate(voice, language, lambda request: synthesize(request).duration)
            data = _load_disk() | {key: rate.as_dict()}
            try:
                path = _cache_file()
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(data, indent=1))
                tmp.replace(path)
            except OSError:
                pass  # a read-only var folder: the rate is still kept in memory
        _rates[key] = rate
        return rate


def _clone_rate(segment: Segment) -> SpeakingRate | None:
    """A cloned voice's rate from its own takes of this character in this job (spoken seconds before
    the fit's stretch = duration × speed)."""
    takes = list(Take.objects.filter(segment__job_id=segment.job_id, segment__character_id=segment.character_id,
                                     voice_plan__clone=True).values_list("text", "duration", "speed")[:20])
    if not takes:
        return None
    return fit_rate([t for t, _, _ in takes], [d * s for _, d, s in takes])


def line_budget(*, user, segment: Segment, text: str | None, voicing: JobVoicing) -> dict:
    require(user, "review.view_segment", segment)
    text = segment.target_text if text is None else text
    voice = line_voice(segment, language=voicing.language, clone_ok=XttsCloneEngine().availability())
    basis = "calibrated"
    rate = _clone_rate(segment) if voice.clone else None
    if voice.clone:
        basis = "takes of this cloned voice" if rate else "the line's preset voice (no take with its clone yet)"
    if rate is None:
        rate = voice_rate(voice.voice, voicing.language)
    slot = max(segment.end - segment.start, 0.0)
    estimated = rate.seconds(text)
    needed = estimated / slot if slot > 0 else 0.0
    return {"slot": round(slot, 3), "estimated": round(estimated, 3), "speed_needed": round(needed, 3),
            "cap": voicing.speed_cap, "warn": needed > voicing.speed_cap,
            "voice": voice.voice.key if voice.voice else "",
            "clone": voice.clone, "basis": basis}
