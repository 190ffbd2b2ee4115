"""Mux: ffprobe shows video copied, the dub as default audio, the original kept, subtitles,
ISO 639-2 languages and durations within 50 ms, for MKV and MP4 (and audio-only sources)."""
import json
import subprocess

import pytest

from media.errors import InvalidMediaError, MediaError
from media.mux import SubtitleTrack, encode_aac, iso639_2, mux
from media.subtitles import read_srt, write_srt, write_vtt

SECONDS = 3.0


def ffprobe(path):
    proc = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           "-count_packets", str(path)], capture_output=True, timeout=60, check=True)
    return json.loads(proc.stdout)


def stream_seconds(stream, fmt):
    if stream.get("duration"):
        return float(stream["duration"])
    tag = (stream.get("tags") or {}).get("DURATION")
    if tag:
        h, m, s = tag.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    return float(fmt["duration"])


@pytest.fixture(scope="module")
def material(tmp_path_factory):
    d = tmp_path_factory.mktemp("mux")
    run = lambda *a: subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *a], check=True, timeout=120)
    run("-f", "lavfi", "-i", f"testsrc=size=160x120:rate=25:duration={SECONDS}", "-f", "lavfi",
        "-i", f"sine=f=300:duration={SECONDS}", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-shortest", str(d / "episode.mp4"))
    run("-f", "lavfi", "-i", f"sine=f=600:duration={SECONDS}", "-ac", "2", "-ar", "48000", str(d / "dub.wav"))
    run("-f", "lavfi", "-i", f"sine=f=300:duration={SECONDS}", "-ar", "48000", str(d / "original.wav"))
    write_srt([(0.2, 1.0, "Hello"), (1.5, 2.5, "World")], d / "source.en.srt")
    write_vtt([(0.2, 1.0, "Hallo"), (1.5, 2.5, "Welt")], d / "target.de.vtt")
    return d


def subs(d):
    return [SubtitleTrack(d / "source.en.srt", "en", title="English"),
            SubtitleTrack(d / "target.de.vtt", "de", title="Deutsch", default=True)]


@pytest.mark.parametrize("suffix,sub_codecs", [(".mkv", ["subrip", "webvtt"]), (".mp4", ["mov_text", "mov_text"])])
def test_streams_languages_and_durations(material, tmp_path, suffix, sub_codecs):
    d = material
    out = tmp_path / f"dub{suffix}"
    result = mux(out, source=d / "episode.mp4", dub_audio=d / "dub.wav", dub_language="de",
                 original_language="en", subtitles=subs(d), title="Episode 1")
    assert result.path == out and out.is_file()
    info = ffprobe(out)
    src = ffprobe(d / "episode.mp4")
    streams = info["streams"]
    kinds = [s["codec_type"] for s in streams]
    assert kinds == ["video", "audio", "audio", "subtitle", "subtitle"]
    video, dub, original, s1, s2 = streams
    # video copied, not re-encoded: same codec, size and packet count as the source
    src_video = next(s for s in src["streams"] if s["codec_type"] == "video")
    assert (video["codec_name"], video["width"], video["nb_read_packets"]) == (
        src_video["codec_name"], src_video["width"], src_video["nb_read_packets"])
    assert dub["disposition"]["default"] == 1 and original["disposition"]["default"] == 0
    assert dub["tags"]["language"] == "ger" and original["tags"]["language"] == "eng"
    assert [s1["codec_name"], s2["codec_name"]] == sub_codecs
    assert [s1["tags"]["language"], s2["tags"]["language"]] == ["eng", "ger"]
    assert s2["disposition"]["default"] == 1 and s1["disposition"]["default"] == 0
    title_key = "handler_name" if suffix == ".mp4" else "title"
    assert dub["tags"][title_key].startswith("Dub") and s2["tags"][title_key] == "Deutsch"
    # the cues come back out with their text and timing
    for index, expected in ((0, ["Hello", "World"]), (1, ["Hallo", "Welt"])):
        extracted = tmp_path / f"s{index}.srt"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(out), "-map", f"0:s:{index}",
                        "-f", "srt", str(extracted)], check=True, timeout=60)
        cues = read_srt(extracted)
        assert [c.text for c in cues] == expected
        # Matroska has no edit lists: the muxer shifts every stream by the AAC priming delay
        # alike, so timing is checked relative to the video
        offset = float(video.get("start_time") or 0.0)
        assert cues[1].start - offset == pytest.approx(1.5, abs=0.01)
        assert cues[1].end - offset == pytest.approx(2.5, abs=0.01)
    fmt = info["format"]
    assert float(fmt["duration"]) == pytest.approx(SECONDS, abs=0.05)
    for stream in (video, dub, original):
        assert stream_seconds(stream, fmt) == pytest.approx(SECONDS, abs=0.05)
    assert fmt["tags"].get("title") == "Episode 1"


def test_separate_original_track_and_no_subtitles(material, tmp_path):
    d = material
    result = mux(tmp_path / "x.mp4", source=d / "episode.mp4", dub_audio=d / "dub.wav", dub_language="fr",
                 original_audio=d / "original.wav", original_language="en")
    audio = [s for s in result.streams if s.kind == "audio"]
    assert [s.language for s in audio] == ["fre", "eng"]
    assert audio[1].codec == "aac"  # PCM cannot go into MP4 as is: re-encoded
    assert not [s for s in result.streams if s.kind == "subtitle"]


def test_keep_original_off(material, tmp_path):
    result = mux(tmp_path / "x.mkv", source=material / "episode.mp4", dub_audio=material / "dub.wav",
                 dub_language="es", keep_original=False)
    assert [s.kind for s in result.streams] == ["video", "audio"]


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_audio_only_source(material, tmp_path, suffix):
    result = mux(tmp_path / f"a{suffix}", source=material / "original.wav", dub_audio=material / "dub.wav",
                 dub_language="de", original_language="en", subtitles=subs(material))
    assert [s.kind for s in result.streams] == ["audio", "audio", "subtitle", "subtitle"]
    assert result.duration == pytest.approx(SECONDS, abs=0.05)


def test_clear_errors(material, tmp_path):
    d = material
    with pytest.raises(MediaError, match="mkv or .mp4"):
        mux(tmp_path / "x.avi", source=d / "episode.mp4", dub_audio=d / "dub.wav", dub_language="de")
    with pytest.raises(InvalidMediaError, match="not found"):
        mux(tmp_path / "x.mkv", source=d / "episode.mp4", dub_audio=d / "dub.wav", dub_language="de",
            subtitles=[SubtitleTrack(d / "missing.srt", "de")])
    (tmp_path / "fake.wav").write_bytes(b"\x00\x01garbage" * 100)
    with pytest.raises(InvalidMediaError):
        mux(tmp_path / "x.mkv", source=d / "episode.mp4", dub_audio=tmp_path / "fake.wav", dub_language="de")
    assert not (tmp_path / "x.mkv").exists()


def test_iso639_2():
    assert [iso639_2(c) for c in ("en", "en-US", "de", "deu", "fra", "pt_BR", "", "xx", "eng")] == [
        "eng", "eng", "ger", "ger", "fre", "por", "und", "und", "eng"]


def test_a_dub_encoded_once_is_copied_into_both_containers(material, tmp_path):
    """The mux stage encodes the mix to AAC once: both containers carry those very packets."""
    d = material
    aac = encode_aac(d / "dub.wav", tmp_path / "dub.m4a")
    encoded = ffprobe(aac)["streams"][0]
    assert encoded["codec_name"] == "aac" and abs(float(encoded["duration"]) - SECONDS) < 0.05
    for suffix in (".mkv", ".mp4"):
        mux(tmp_path / f"dub{suffix}", source=d / "episode.mp4", dub_audio=aac, dub_language="de",
            original_language="en", subtitles=subs(d))
        dub = [s for s in ffprobe(tmp_path / f"dub{suffix}")["streams"] if s["codec_type"] == "audio"][0]
        assert dub["codec_name"] == "aac" and dub["nb_read_packets"] == encoded["nb_read_packets"]
        assert dub["disposition"]["default"] == 1


def test_encode_aac_refuses_a_file_without_audio(material, tmp_path):
    with pytest.raises(InvalidMediaError):
        encode_aac(material / "source.en.srt", tmp_path / "x.m4a")
