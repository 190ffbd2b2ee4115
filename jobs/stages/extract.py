"""extract: probe the episode and decode its audio twice.

16 kHz mono (`audio.wav`) is what VAD, diarization, ASR and embeddings read; full-rate stereo
(`audio_stereo.wav`) is what separation and the final mix read.
"""
from __future__ import annotations

from media import ffmpeg
from media.errors import InvalidMediaError

from ..artifacts import source_path
from .base import JobFailure, StageContext, StageResult, fingerprint

ANALYSIS = "audio.wav"
STEREO = "audio_stereo.wav"
MIX_RATE = 48000


class ExtractStage:
    name = "extract"
    version = 1

    def fingerprint(self, ctx: StageContext) -> str:
        episode = ctx.job.episode
        return fingerprint({"stage": self.name, "v": self.version, "source": episode.source_sha256 or episode.source_video.name,
                            "analysis_rate": 16000, "mix_rate": MIX_RATE})

    def run(self, ctx: StageContext) -> StageResult:
        src = source_path(ctx.job.episode, ctx.workspace)
        try:
            info = ffmpeg.probe(src)
            ffmpeg.require_audio(info, min_seconds=0.5)
            ffmpeg.extract_analysis(src, ctx.workspace.path(ANALYSIS))
            ffmpeg.extract_mix(src, ctx.workspace.path(STEREO), sample_rate=MIX_RATE)
        except InvalidMediaError as exc:
            raise JobFailure(f"the episode's file cannot be used: {exc}") from exc
        published = {rel: ctx.workspace.publish(rel) for rel in (ANALYSIS, STEREO)}
        audio = info.audio[0]
        ctx.event(f"probed {info.duration:.2f} s, {len(info.video)} video / {len(info.audio)} audio stream(s); "
                  f"audio {audio.codec} {audio.channels} ch {audio.sample_rate} Hz")
        return StageResult(
            outputs={"audio": ANALYSIS, "audio_stereo": STEREO, "duration": info.duration,
                     "probe": info.as_dict(), "stored": published},
            engines={"probe": "ffprobe", "extract": "ffmpeg"},
        )
