"""Dialogue / background separation without demucs weights: DeepFilterNet3 (media.deepfilter)
extracts the speech; the background is the mix under a time-frequency mask that removes every
bin the speech holds.

- dialogue = the enhanced speech of the mid channel (L+R)/2, on both sides: dialogue is centred.
- background = STFT(mix) * M per channel, M = clip(1 - alpha * R, 0, 1), where R is the ratio of
  enhanced-speech power to mix power in a bin, spread to the neighbouring bin and frame each
  side (max over 3 x 3: 16 Hz and 16 ms each way). alpha = 10^(-local_snr_db/10) = 4: a bin
  leaves the bed once the enhanced speech holds a quarter of the mix's power there (-6 dB, the
  usual local criterion of the ideal binary mask); below that the bed keeps it in proportion. The spread covers what the enhanced speech under-reports next to strong bins: a
  window's leakage into the next bin, and onsets the causal model is late to (its lookahead is
  2 frames of 10 ms). A wider spread (3 x 9) took the speech left in the background of the
  composite episode only 1 dB lower but cost the bed 0.5-3 dB of SI-SDR.
  Plain subtraction (mix - speech) leaves the speech intelligible in the background: the model
  also removes the recording's noise and reverberation with the bed, and its speech is never
  phase-exact, so the difference keeps a speech-shaped residue.

Where the model gives up, a fallback speech estimate joins the mask. The runtime zeroes its
output in every frame whose own local-SNR estimate is under -10 dB (RUNTIME_GATE_DB, fixed in the
C runtime: its C API sets only the attenuation limit and the post-filter beta), so quiet
far-field speech under a bed went nowhere and stayed in the background. In frames within
`speech_context_seconds` of a frame the runtime did pass (a talker's turn goes on around the
syllables the model hears), a bin's power above `floor_factor` times its floor (`bed_floor`:
its minimum over the `floor_seconds` before or after, whichever is higher: sustained notes and
steady noise outlast a syllable) counts as speech too (max(|X|^2 - B, 0), power subtraction)
and leaves the bed by the same rule. It applies in the frames the model passed as well: the
model under-reports there too (read speech left in the background of the composite episode
-29 -> -37 dB). Its cost: transient bed content (drum hits, effects) near speech goes with it.
Passed speech is a frame over the gate in a second holding at least 50 ms of such frames: on a
bed with drums the runtime passes lone 10-20 ms frames at the hits; each opened 2 s of fallback.
Under `low_hz` (300 Hz) the fallback reaches `low_context_seconds` (4 s) from passed speech
instead of 1 s: there a far-field recording's own low end (room, rumble) fills the pauses
between turns (on the composite episode's meeting, 41.7 s of pauses hold 9.2 % of the stem's
energy, 99.6 % of it under 300 Hz, and the background kept it at -6.3 dB), while a music bed's
low end is mostly sustained (bass and chord tones: its own floor); what goes with it is the
bed's non-sustained low end (kick drums, impacts) within 4 s of speech.

The model streams over the whole file (its state carries across blocks); the mask runs on
blocks of `block_seconds` with a margin each side, on disk in and out: memory is one block.
The model's delay is measured on the signal (cross-correlation of its output with its input)
and the configured delay is used only when the file has too little speech to measure it.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.ndimage import maximum_filter, maximum_filter1d, minimum_filter1d, uniform_filter1d
from scipy.signal import istft, stft

from . import deepfilter, ffmpeg
from .errors import EngineFailed, MediaError
from .separation import SeparationResult, _decode, _encode, _source

__all__ = ["DeepFilterEngine", "background_mask"]

RATE = deepfilter.RATE
RUNTIME_GATE_DB = -10.0  # libDF's min_db_thresh: under it the runtime outputs zeros for the frame


def bed_floor(power: np.ndarray, frames: int) -> np.ndarray:
    """Per bin, the power smoothed over 3 frames, at its minimum over the `frames` before a frame
    or over the `frames` after it, whichever is higher: what lasts that long on one side (a
    sustained note from its onset to its release, steady noise) is bed; what comes and goes
    within the window on both sides (a syllable) is not. A centred minimum would call every new
    note speech for half a window after its onset."""
    smooth = uniform_filter1d(power, 3, axis=-1, mode="nearest")
    past = minimum_filter1d(smooth, frames, axis=-1, mode="nearest", origin=(frames - 1) // 2)
    future = minimum_filter1d(smooth, frames, axis=-1, mode="nearest", origin=-(frames // 2))
    return np.maximum(past, future)


def background_mask(mix: np.ndarray, speech: np.ndarray, alpha: float, spread: tuple[int, int],
                    fallback: np.ndarray | None = None) -> np.ndarray:
    """Gain per (bin, frame) for the background, from the STFTs of the mix and the enhanced speech.
    `fallback`: another estimate of the speech's share of the mix's power (0..1), taken where larger."""
    ratio = np.abs(speech) ** 2 / (np.abs(mix) ** 2 + 1e-12)
    if fallback is not None:
        ratio = np.maximum(ratio, fallback)
    if spread != (1, 1):
        ratio = maximum_filter(ratio, size=spread, mode="nearest")
    return np.clip(1.0 - alpha * ratio, 0.0, 1.0).astype(np.float32)


class DeepFilterEngine:
    name = "deepfilternet"

    def __init__(self, *, local_snr_db: float = -6.0, spread: tuple[int, int] = (3, 3),
                 window_seconds: float = 0.064, block_seconds: float = 10.0, fallback: bool = True,
                 floor_seconds: float = 0.5, floor_factor: float = 4.0, speech_context_seconds: float = 1.0,
                 heard_seconds: float = 0.05, heard_window_seconds: float = 1.0,
                 low_hz: float = 300.0, low_context_seconds: float = 4.0):
        self.alpha = 10 ** (-local_snr_db / 10)
        self.spread = spread
        self.window = int(round(window_seconds * RATE))
        self.hop = self.window // 4
        # fallback near the speech the runtime passed (see the module doc); floor_factor 4 (6 dB):
        # the minimum of a smoothed power spectrum sits a few dB under its mean (Martin 2001)
        self.fallback = fallback
        self.floor_frames = max(int(round(floor_seconds * RATE / self.hop)) | 1, 1)
        self.floor_factor = floor_factor
        self.context = int(round(speech_context_seconds * RATE))
        self.heard_seconds, self.heard_window_seconds = heard_seconds, heard_window_seconds
        # under low_hz (the voice's F0 and the far-field recordings' rumble, where a bed's content
        # is mostly sustained) the fallback reaches across the pauses between turns (module doc)
        self.low_bins = int(np.ceil(low_hz * self.window / RATE))
        self.low_context = int(round(low_context_seconds * RATE))
        self.block = max(int(block_seconds * RATE) // self.hop, 1) * self.hop
        self.delay: int | None = None  # the last file's measured model delay, in samples at RATE
        self.delay_measured = False

    def availability(self) -> tuple[bool, str]:
        ok, reason = deepfilter.availability()
        if not ok:
            return ok, reason
        ok, why = ffmpeg.availability()
        return (True, reason) if ok else (False, why)

    def separate(self, src: str | Path, out_dir: str | Path) -> SeparationResult:
        src, out_dir = Path(src), Path(out_dir)
        out_rate, duration, stereo = _source(src)
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".separate-", dir=out_dir) as tmp:
            tmp = Path(tmp)
            mix_path, raw_path = tmp / "mix.wav", tmp / "speech_raw.wav"
            lsnr_path = tmp / "lsnr.f32"
            dlg_path, bed_path = tmp / "dialogue.wav", tmp / "background.wav"
            _decode(src, mix_path, RATE, stereo)
            try:
                self._enhance(mix_path, raw_path, lsnr_path)
                self.delay, self.delay_measured = self._delay(mix_path, raw_path)
                self._split(mix_path, raw_path, self.delay, dlg_path, bed_path, lsnr_path)
            except MediaError:
                raise
            except Exception as exc:  # native runtime / numeric errors: hand over to the next engine
                raise EngineFailed(f"deepfilternet failed on {src.name}: {exc}") from exc
            _encode(dlg_path, out_dir / "dialogue.wav", out_rate)
            _encode(bed_path, out_dir / "background.wav", out_rate)
        return SeparationResult(out_dir / "dialogue.wav", out_dir / "background.wav", self.name, False,
                                out_rate, duration)

    def _enhance(self, mix_path: Path, raw_path: Path, lsnr_path: Path) -> None:
        """The model over the whole mid channel, streamed; the output runs `delay` samples late,
        so the tail is flushed with silence. The model's local SNR per frame goes to `lsnr_path`
        (float32, one per model hop of output)."""
        with deepfilter.Enhancer() as model, sf.SoundFile(str(raw_path), "w", RATE, 1, "FLOAT") as out, \
                open(lsnr_path, "wb") as flsnr:
            for block in sf.blocks(str(mix_path), blocksize=self.block, dtype="float32", always_2d=True):
                out.write(model.process(block.mean(axis=1)))
                flsnr.write(model.take_lsnr().tobytes())
            out.write(model.process(np.zeros(model.delay() + 2 * model.hop, np.float32)))
            flsnr.write(model.take_lsnr().tobytes())
            self.model_hop = model.hop

    @staticmethod
    def _delay(mix_path: Path, raw_path: Path, seconds: float = 30.0) -> tuple[int, bool]:
        """(delay, measured): measured on the first `seconds`; the configured delay where the output
        correlates too weakly with the input (no speech) for a measurement to mean anything."""
        n = int(seconds * RATE)
        mid = sf.read(str(mix_path), frames=n, dtype="float32", always_2d=True)[0].mean(axis=1)
        raw = sf.read(str(raw_path), frames=n, dtype="float32")[0]
        lag, peak = deepfilter.measure_delay(mid, raw, max_lag=RATE // 10)
        if peak < 0.1:
            return deepfilter.Enhancer.delay(), False
        return lag, True

    def _near_speech(self, lsnr_path: Path, delay: int, centres: np.ndarray,
                     contexts: tuple[int, ...]) -> list[np.ndarray]:
        """Per STFT frame (centre in input samples), for each context (samples): whether the runtime
        passed speech in some model frame within it. Passed speech: a frame at or over the runtime's
        gate in a second (`heard_window_seconds`) holding at least `heard_seconds` of such frames: a
        drum hit's attack passes for 10-20 ms (14 of the 15 passes on the eval's percussion bed
        alone, 30 s, were one 10 ms frame), a syllable's vowel for longer, and each lone pass had
        opened the fallback for 2 s (80 % of that bed). Reads the span of the local-SNR file the
        widest context needs, once."""
        hop = self.model_hop
        window = max(int(round(self.heard_window_seconds * RATE / hop)) | 1, 1)
        frames = round(self.heard_seconds * RATE / hop)
        # model frame i outputs samples [i*hop, (i+1)*hop): input time i*hop - delay
        pad = max(contexts) // hop + window // 2 + 1
        first = max(int((centres[0] + delay) // hop) - pad, 0)
        last = int((centres[-1] + delay) // hop) + pad + 1
        lsnr = np.fromfile(lsnr_path, np.float32, count=max(last - first, 0), offset=4 * first)
        if not len(lsnr):
            return [np.zeros(len(centres), bool) for _ in contexts]
        passed = (lsnr >= RUNTIME_GATE_DB).astype(np.float32)
        heard = uniform_filter1d(passed, window, mode="constant") * window
        passed = ((passed > 0) & (heard >= frames - 0.5)).astype(np.uint8)
        idx = np.clip((centres + delay) // hop - first, 0, len(lsnr) - 1).astype(int)
        return [maximum_filter1d(passed, 2 * (context // hop) + 1, mode="constant")[idx].astype(bool)
                for context in contexts]

    def _fallback(self, power: np.ndarray, lsnr_path: Path, delay: int, centres: np.ndarray) -> np.ndarray:
        """Share of the mix's power over the bed's floor, in frames near speech the runtime passed;
        under `low_hz`, in frames within the longer `low_context` of it."""
        excess = np.maximum(power - self.floor_factor * bed_floor(power, self.floor_frames), 0.0)
        share = excess / (power + 1e-12)
        low = self.low_bins
        near, near_low = self._near_speech(lsnr_path, delay, centres, (self.context, self.low_context))
        share[low:] *= near[None, :]
        if low:
            share[:low] *= near_low[None, :]
        return share

    def _split(self, mix_path: Path, raw_path: Path, delay: int, dlg_path: Path, bed_path: Path,
               lsnr_path: Path | None = None) -> None:
        # STFT frames, the mask's spread and the bed floor's window never reach past the margin
        margin = 4 * self.window + (self.floor_frames + 2) * self.hop
        kw = dict(fs=RATE, nperseg=self.window, noverlap=self.window - self.hop)
        with sf.SoundFile(str(mix_path)) as fmix, sf.SoundFile(str(raw_path)) as fraw, \
                sf.SoundFile(str(dlg_path), "w", RATE, 2, "FLOAT") as fd, \
                sf.SoundFile(str(bed_path), "w", RATE, 2, "FLOAT") as fb:
            total = fmix.frames
            for start in range(0, total, self.block):
                end = min(start + self.block, total)
                lo, hi = max(start - margin, 0), min(end + margin, total)  # multiples of hop: one frame grid
                fmix.seek(lo)
                mix = fmix.read(hi - lo, dtype="float32", always_2d=True)
                fraw.seek(min(lo + delay, fraw.frames))
                speech = fraw.read(hi - lo, dtype="float32")
                speech = np.pad(speech, (0, len(mix) - len(speech)))
                _, _, spec_speech = stft(speech, **kw)
                _, _, spec = stft(mix.T, **kw)  # (channel, bin, frame)
                mid = spec.mean(axis=0)
                fallback = None
                if self.fallback and lsnr_path is not None:
                    centres = lo + np.arange(mid.shape[1]) * self.hop  # stft pads half a window: frame j centres at j*hop
                    fallback = self._fallback(np.abs(mid) ** 2, lsnr_path, delay, centres)
                mask = background_mask(mid, spec_speech, self.alpha, self.spread, fallback)
                _, bed = istft(spec * mask[None], **kw)
                keep = slice(start - lo, end - lo)
                fb.write(np.ascontiguousarray(bed.T[keep], dtype=np.float32))
                fd.write(np.repeat(speech[keep, None], 2, axis=1))
        if not total:
            raise EngineFailed("no audio to separate")
