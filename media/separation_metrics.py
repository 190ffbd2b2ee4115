"""How well a separator did against known parts: SI-SDR of a stem, and how much of the speech
is left in the background.

Leakage is the background projected onto the clean speech in short time-frequency tiles (one
complex gain per frequency bin per `segment` seconds, least squares), as energy relative to the
speech: 0 dB for the mix itself, minus infinity for a background without speech. A tile gain
catches a separator's filtering and time-varying masking of the speech (a plain correlation
would miss both). A signal without speech still fits a little by chance (about 1/frames of its
energy per tile); that expected chance fit, estimated from the fit's residual, is subtracted, so
`leakage_db(bed, speech)` reads far under any real leakage (print it as the measure's floor).
"""
from __future__ import annotations

import numpy as np
from scipy.signal import stft

__all__ = ["si_sdr", "leakage_db"]


def _same_length(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = min(len(a), len(b))
    return np.asarray(a[:n], np.float64), np.asarray(b[:n], np.float64)


def si_sdr(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019), mono signals."""
    est, ref = _same_length(estimate, reference)
    est, ref = est - est.mean(), ref - ref.mean()
    target = np.dot(est, ref) / max(np.dot(ref, ref), 1e-20) * ref
    noise = est - target
    return float(10 * np.log10(max(np.dot(target, target), 1e-20) / max(np.dot(noise, noise), 1e-20)))


def leakage_db(background: np.ndarray, speech: np.ndarray, rate: int, *, segment: float = 2.0,
               window: float = 0.032) -> float:
    """Energy of the speech found in `background`, in dB relative to the speech itself (mono)."""
    bg, sp = _same_length(background, speech)
    n = int(round(window * rate))
    # Hann frames overlapping by half: nearly independent (the chance-fit correction assumes so)
    overlap = n // 2
    _, _, B = stft(bg, rate, nperseg=n, noverlap=overlap)
    _, _, S = stft(sp, rate, nperseg=n, noverlap=overlap)
    frames = max(int(segment * rate / (n - overlap)), 1)
    found = 0.0
    for i in range(0, B.shape[1], frames):
        b, s = B[:, i:i + frames], S[:, i:i + frames]
        s2 = np.abs(s) ** 2
        power = np.maximum(np.sum(s2, axis=1), 1e-20)
        gain = np.sum(b * np.conj(s), axis=1) / power  # the best-fitting scaled copy of the speech, per bin
        residual = np.abs(b - gain[:, None] * s) ** 2
        # explained energy |g|^2 |s|^2 less what a signal without speech explains by chance
        # (the regression's expected value under independence, from the residual)
        found += float(np.sum(np.abs(gain) ** 2 * power - np.sum(residual * s2, axis=1) / power))
    total = float(np.sum(np.abs(S) ** 2))
    return float(10 * np.log10(max(found, 1e-20) / max(total, 1e-20)))
