"""QC pictures: valid SVG that shows what the qc.json holds (failing lines marked)."""
import xml.etree.ElementTree as ET

from jobs.qc_pictures import drift_svg, loudness_svg, similarity_svg, speed_svg, who_speaks_svg

QC = {
    "duration": 20.0, "thresholds": {"speed": 1.35},
    "source_turns": [{"start": 0.5, "end": 3.0, "speaker": "SPEAKER_00", "character": "anna"},
                     {"start": 4.0, "end": 7.0, "speaker": "SPEAKER_01", "character": "ben"}],
    "lines": [{"index": 0, "start": 0.5, "end": 3.0, "character": "anna", "similarity": 0.7, "speed": 1.1,
               "flags": [], "reasons": []},
              {"index": 1, "start": 4.0, "end": 7.0, "character": "ben", "similarity": 0.2, "speed": 1.5,
               "closest_other": "anna", "flags": ["qc_voice", "qc_timing"], "reasons": ["sounds closer to anna"]}],
    "episode": {"short_term": [[0, -40.0], [1, -25.0], [2, -22.5]], "target_lufs": -23, "ceiling_dbtp": -1},
}
SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg):
    return ET.fromstring(svg)


def test_who_speaks_marks_the_failing_line():
    root = _parse(who_speaks_svg(QC))
    failed = [r for r in root.iter(SVG + "rect") if r.get("stroke") == "#d00"]
    assert len(failed) == 1 and "closer to anna" in failed[0].find(SVG + "title").text
    names = [t.text for t in root.iter(SVG + "text")]
    assert "source · SPEAKER_00" in names and "dub · ben" in names


def test_loudness_similarity_speed_and_drift_render():
    assert "target -23 LUFS" in loudness_svg(QC)
    sim = _parse(similarity_svg(QC))
    assert [c.get("stroke") for c in sim.iter(SVG + "circle")] == [None, "#d00"]
    speed = _parse(speed_svg(QC))
    assert len([r for r in speed.iter(SVG + "rect") if r.find(SVG + "title") is not None]) == 2
    drift = drift_svg({"anna": [(1, 0.71), (2, 0.69), (3, 0.4)]})
    assert "anna episode 3: 0.40" in drift and _parse(drift) is not None
    assert _parse(drift_svg({})) is not None  # a series without QC yet still draws
