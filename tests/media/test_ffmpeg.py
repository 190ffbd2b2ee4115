"""media.ffmpeg on real generated media and on the inputs users actually upload by mistake."""
import subprocess

import numpy as np
import pytest
import soundfile as sf

from media import ffmpeg
from media.cli import main
from media.errors import InvalidMediaError, MediaError


def make(path, *args):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(path)], check=True, timeout=120)
    return path


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("ffmpeg")
    make(d / "episode.mp4", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=3", "-f", "lavfi", "-i",
         "sine=f=440:duration=3:sample_rate=44100", "-ac", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest")
    make(d / "video_only.mp4", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=2", "-c:v", "libx264",
         "-pix_fmt", "yuv420p")
    make(d / "silent.wav", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", "2")
    make(d / "mono.wav", "-f", "lavfi", "-i", "sine=f=440:duration=2:sample_rate=22050")
    make(d / "eight.wav", "-f", "lavfi", "-i", "sine=f=440:duration=1",
         "-af", "pan=7.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0|c6=c0|c7=c0")
    make(d / "short.wav", "-f", "lavfi", "-i", "sine=f=440:duration=0.2")
    (d / "empty.mp4").write_bytes(b"")
    (d / "random.mkv").write_bytes(np.random.default_rng(1).bytes(50_000))
    (d / "notes.txt").write_text("this is not a video\n" * 20)
    sf.write(d / "zero.wav", np.zeros(0, np.float32), 16000)
    return d


def test_probe_generated_video(media_dir):
    info = ffmpeg.probe(media_dir / "episode.mp4")
    assert info.duration == pytest.approx(3.0, abs=0.05)
    assert [s.kind for s in info.streams] == ["video", "audio"]
    assert (info.video[0].width, info.video[0].height, info.video[0].codec) == (160, 120, "h264")
    assert (info.audio[0].channels, info.audio[0].sample_rate) == (2, 44100)
    assert info.as_dict()["streams"][1]["kind"] == "audio"


def test_extract_analysis_and_mix(media_dir, tmp_path):
    a = ffmpeg.extract_analysis(media_dir / "episode.mp4", tmp_path / "a.wav")
    m = ffmpeg.extract_mix(media_dir / "episode.mp4", tmp_path / "m.wav")
    ia, im = sf.info(a), sf.info(m)
    assert (ia.samplerate, ia.channels, im.samplerate, im.channels) == (16000, 1, 48000, 2)
    assert ia.duration == pytest.approx(3.0, abs=0.05) and im.duration == pytest.approx(3.0, abs=0.05)
    x, _ = sf.read(a)
    spectrum = np.abs(np.fft.rfft(x))
    assert np.fft.rfftfreq(len(x), 1 / 16000)[np.argmax(spectrum)] == pytest.approx(440, abs=2)
    assert not list(tmp_path.glob("*.part*"))  # no half-written files left behind


@pytest.mark.parametrize("name,message", [
    ("empty.mp4", "file is empty"),
    ("random.mkv", "not a readable media file"),
    ("notes.txt", "not a readable media file"),
    ("missing.wav", "file not found"),
])
def test_unreadable_inputs_give_clear_errors(media_dir, name, message):
    with pytest.raises(InvalidMediaError, match=message) as err:
        ffmpeg.probe(media_dir / name)
    assert "\n" not in str(err.value) and name in str(err.value)


def test_video_without_audio(media_dir, tmp_path):
    info = ffmpeg.probe(media_dir / "video_only.mp4")
    assert info.video and not info.audio
    with pytest.raises(InvalidMediaError, match="has no audio stream"):
        ffmpeg.extract_analysis(media_dir / "video_only.mp4", tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists()


def test_zero_length_audio(media_dir, tmp_path):
    with pytest.raises(InvalidMediaError, match="zero duration|not a readable"):
        ffmpeg.extract_analysis(media_dir / "zero.wav", tmp_path / "x.wav")


def test_silent_audio_extracts_as_silence(media_dir, tmp_path):
    out = ffmpeg.extract_analysis(media_dir / "silent.wav", tmp_path / "s.wav")
    x, sr = sf.read(out)
    assert sr == 16000 and len(x) == 32000 and np.all(x == 0)


def test_mono_upmixed_and_eight_channels_downmixed(media_dir, tmp_path):
    up = ffmpeg.extract_mix(media_dir / "mono.wav", tmp_path / "up.wav")
    x, sr = sf.read(up)
    assert sr == 48000 and x.shape[1] == 2 and np.allclose(x[:, 0], x[:, 1])
    assert ffmpeg.probe(media_dir / "eight.wav").audio[0].channels == 8
    down = ffmpeg.extract_analysis(media_dir / "eight.wav", tmp_path / "down.wav")
    y, _ = sf.read(down)
    assert y.ndim == 1 and np.abs(y).max() > 0.05


def test_very_short_clip(media_dir, tmp_path):
    info = ffmpeg.probe(media_dir / "short.wav")
    assert info.duration == pytest.approx(0.2, abs=0.01)
    with pytest.raises(InvalidMediaError, match="too short"):
        ffmpeg.require_audio(info, min_seconds=0.5)
    out = ffmpeg.extract_analysis(media_dir / "short.wav", tmp_path / "short16k.wav")
    assert sf.info(out).frames == pytest.approx(3200, abs=2)


def test_cut(media_dir, tmp_path):
    out = ffmpeg.cut(media_dir / "episode.mp4", tmp_path / "cut.wav", 1.0, 2.5, sample_rate=16000)
    assert sf.info(out).duration == pytest.approx(1.5, abs=0.03)
    with pytest.raises(MediaError):
        ffmpeg.cut(media_dir / "episode.mp4", tmp_path / "bad.wav", 2.0, 1.0)


def test_run_failure_is_one_line(tmp_path):
    with pytest.raises(MediaError) as err:
        ffmpeg.run(["ffmpeg", "-v", "error", "-i", str(tmp_path / "nope.wav"), "-f", "null", "-"], what="ffmpeg test")
    assert str(err.value).startswith("ffmpeg test failed:") and "\n" not in str(err.value)


def test_run_timeout(tmp_path):
    with pytest.raises(MediaError, match="timed out"):
        ffmpeg.run(["ffmpeg", "-v", "error", "-re", "-f", "lavfi", "-i", "sine=duration=30", "-f", "null", "-"],
                   timeout=0.5, what="ffmpeg slow")


def test_probe_cli(media_dir, capsys):
    assert main(["probe", str(media_dir / "episode.mp4")]) == 0
    assert '"kind": "video"' in capsys.readouterr().out
    assert main(["probe", str(media_dir / "random.mkv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1
