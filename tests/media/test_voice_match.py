"""Preset voice matching (pass 2 without a cloning engine): distinct speakers get distinct voices."""
from media.tts import TtsRequest, list_voices, synthesize
from media.voice_match import match_voice, match_voices


def _speech(voice, text="We should leave before the storm reaches the harbour tonight."):
    result = synthesize(TtsRequest(text, "en", voice=voice), preference=[voice.engine])
    return result.samples, result.sample_rate


def test_two_speakers_who_sound_alike_get_different_voices():
    voices = [v for v in list_voices("en") if not v.pitch_semitones][:4]
    same = _speech(voices[0])
    alone = match_voice(*same, language="en", candidates=voices)
    # the defect: matched one by one, both characters landed on the same nearest preset
    assert match_voice(*same, language="en", candidates=voices).voice == alone.voice
    both = match_voices({"S1": same, "S2": same}, language="en", candidates=voices)
    bases = {m.voice.with_(pitch_semitones=0.0).key for m in both.values()}
    assert len(bases) == 2
    assert alone.voice.with_(pitch_semitones=0.0).key in bases  # one of them still has the nearest voice


def test_taken_voices_are_left_to_others_and_shared_only_when_they_run_out():
    voices = [v for v in list_voices("en") if not v.pitch_semitones][:2]
    ref = _speech(voices[0])
    first = match_voices({"S1": ref}, language="en", candidates=voices, taken=[voices[0].key])
    assert first["S1"].voice.with_(pitch_semitones=0.0).key == voices[1].key
    crowd = match_voices({f"S{i}": ref for i in range(3)}, language="en", candidates=voices)
    assert len(crowd) == 3  # three speakers, two voices: a voice is shared, nobody is left without one
