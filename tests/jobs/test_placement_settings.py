"""The placement bound is a setting, and QC's offset check follows it: a line the tts stage moved
within the bound is not flagged for it, one placed further off still is."""
import numpy as np

from jobs.modes import max_shift_setting, resolve_mode
from jobs.stages.qc_engines import thresholds_from_settings
from media.placement import DEFAULT_MAX_SHIFT
from media.qc import LineSpec, check_lines


def _offset_flagged(start: float, dub_start: float) -> bool:
    lines = [LineSpec(0, start, start + 1.0, "", dub_start=dub_start, dub_end=dub_start + 1.0)]
    q = check_lines(lines, dialogue=np.zeros(16000 * 12, np.float32), rate=16000, thresholds=thresholds_from_settings())
    return any("away from the source line" in r for r in q[0].reasons)


def test_default_bound_and_qc_offset(monkeypatch):
    monkeypatch.delenv("DUBSITE_TTS_MAX_SHIFT", raising=False)
    monkeypatch.delenv("DUBSITE_QC_OFFSET", raising=False)
    assert max_shift_setting() == DEFAULT_MAX_SHIFT
    assert resolve_mode("low", "en").tts_max_shift == DEFAULT_MAX_SHIFT
    assert not _offset_flagged(5.0, 5.0 + DEFAULT_MAX_SHIFT)
    assert _offset_flagged(5.0, 5.0 + DEFAULT_MAX_SHIFT + 0.2)


def test_the_bound_is_set_by_the_environment(monkeypatch):
    monkeypatch.setenv("DUBSITE_TTS_MAX_SHIFT", "0")
    monkeypatch.delenv("DUBSITE_QC_OFFSET", raising=False)
    assert resolve_mode("low", "en").tts_max_shift == 0.0
    assert _offset_flagged(5.0, 5.6)  # QC's own 0.5 s stays the floor
    monkeypatch.setenv("DUBSITE_TTS_MAX_SHIFT", "1.5")
    assert not _offset_flagged(5.0, 6.4) and _offset_flagged(5.0, 6.6)
    monkeypatch.setenv("DUBSITE_QC_OFFSET", "0.3")  # QC's own setting still wins
    assert _offset_flagged(5.0, 5.4)


def _speed_flagged(speed: float) -> bool:
    lines = [LineSpec(0, 5.0, 6.0, "", dub_start=5.0, dub_end=6.0, speed=speed)]
    q = check_lines(lines, dialogue=np.zeros(16000 * 12, np.float32), rate=16000, thresholds=thresholds_from_settings())
    return any("speed-up" in r for r in q[0].reasons)


def test_the_crosstalk_cap_is_a_setting_and_qc_speed_check_follows_it(monkeypatch):
    from jobs.modes import crosstalk_cap_setting
    from media.placement import CROSSTALK_CAP

    monkeypatch.delenv("DUBSITE_TTS_CROSSTALK_CAP", raising=False)
    monkeypatch.delenv("DUBSITE_QC_SPEED", raising=False)
    assert crosstalk_cap_setting() == CROSSTALK_CAP == resolve_mode("high", "en").tts_crosstalk_cap
    # a line sped up toward the crosstalk cap is so by design; beyond it, it is flagged
    assert not _speed_flagged(CROSSTALK_CAP) and _speed_flagged(CROSSTALK_CAP + 0.05)
    monkeypatch.setenv("DUBSITE_TTS_CROSSTALK_CAP", "1")  # off: the fit's 1.35x is the line again
    assert resolve_mode("low", "en").tts_crosstalk_cap == 1.0
    assert not _speed_flagged(1.35) and _speed_flagged(1.4)
