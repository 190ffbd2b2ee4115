"""Which audio ASR and diarization hear after separation: the dialogue stem from demucs only."""
from jobs.stages.separate import analysis_source

EXTRACT = {"audio": "extract/audio.wav"}


def outputs(engine, degraded, **extra):
    return {"dialogue_16k": "stems/dialogue_16k.wav", "degraded": degraded, "engine": engine, **extra}


def test_demucs_stem_deepfilternet_and_passthrough_full_mix():
    assert analysis_source(outputs("demucs", False, analysis="dialogue"), EXTRACT) == ("stems/dialogue_16k.wav", "dialogue")
    # DeepFilterNet separates (not degraded) but its stem lost conversation words against the mix
    assert analysis_source(outputs("deepfilternet", False, analysis="full"), EXTRACT) == ("extract/audio.wav", "full")
    assert analysis_source(outputs("passthrough", True, analysis="full"), EXTRACT) == ("extract/audio.wav", "full")


def test_outputs_stored_before_the_analysis_field():
    assert analysis_source(outputs("demucs", False), EXTRACT) == ("stems/dialogue_16k.wav", "dialogue")
    assert analysis_source(outputs("passthrough", True), EXTRACT) == ("extract/audio.wav", "full")
