"""The server-side diarization picture: one row per speaker, a coloured bar per turn."""
from jobs.timeline import PALETTE, diarization_svg


def test_svg_draws_each_turn_in_its_speakers_colour():
    turns = [{"start": 0.0, "end": 2.0, "speaker": "SPEAKER_00"}, {"start": 2.5, "end": 4.0, "speaker": "SPEAKER_01"},
             {"start": 5.0, "end": 9.0, "speaker": "SPEAKER_00"}]
    svg = diarization_svg(turns, 10.0, labels={"SPEAKER_00": "CHAR_0001"}, width=650)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count(f'fill="{PALETTE[0]}"') == 2 and svg.count(f'fill="{PALETTE[1]}"') == 1
    assert "SPEAKER_00 · CHAR_0001" in svg
    # the label column fits "SPEAKER_00 · CHAR_0001" (22 characters → 166 px), so 10 s span
    # 650 - 166 - 10 = 474 px: the 4 s turn is 189.6 px wide and starts at 166 + 237
    assert 'width="189.6"' in svg and 'x="403.0"' in svg


def test_svg_escapes_labels():
    svg = diarization_svg([{"start": 0, "end": 1, "speaker": "<b>"}], 1.0)
    assert "<b>" not in svg.replace("<svg", "") and "&lt;b&gt;" in svg
