"""Dub intelligibility eval (`make eval`, figures printed with -s; README "Dub intelligibility"):
round-trip WER of every palette voice and of the espeak variants that follow it, at each speed-up
band the tts stage can apply, and how alike the palette's voices sound (speaker embeddings)."""
from __future__ import annotations

import numpy as np

from media.intelligibility import SPEEDS, similarity_matrix, summarize_similarity, voice_wer
from media.tts import assign_voices
from media.tts.palette import palette


def _short(key: str) -> str:
    return key.replace("piper:en_US-joe-medium", "piper:joe")


def test_palette_voices_are_understood_at_every_speed_band(eval_dir):
    voices = palette("en")
    # the espeak voices characters get once the palette runs out: the first three of each gender
    overflow = assign_voices(["M1", "M2", "M3", "F1", "F2", "F3"], {"M1": "m", "M2": "m", "M3": "m",
                                                                   "F1": "f", "F2": "f", "F3": "f"})
    print("\n| voice | role | " + " | ".join(f"WER {s:g}x" for s in SPEEDS) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in SPEEDS) + " |")
    rows = []
    for voice, role in [(v, "palette") for v in voices] + [(v, "espeak overflow") for v in overflow.values()]:
        r = voice_wer(voice)
        rows.append((voice, role, r))
        print(f"| {_short(voice.key)} | {role} | " + " | ".join(f"{r.per_speed[s]:.3f}" for s in SPEEDS) + " |", flush=True)
    for band in SPEEDS:
        pal = np.mean([r.per_speed[band] for _, role, r in rows if role == "palette"])
        esp = np.mean([r.per_speed[band] for _, role, r in rows if role != "palette"])
        print(f"mean at {band:g}x: palette {pal:.3f}, espeak overflow {esp:.3f}")
    for voice, role, r in rows:
        worst = max(r.worst.items(), key=lambda kv: kv[0])
        print(f"  {_short(voice.key)} at {worst[0]:g}x: {worst[1][1]!r}")
    palette_rows = [r for _, role, r in rows if role == "palette"]
    assert np.mean([r.per_speed[s] for r in palette_rows for s in SPEEDS if s <= 1.35]) <= 0.08
    assert all(r.per_speed[1.0] <= 0.15 for r in palette_rows)


def test_palette_similarity_between_voices(eval_dir):
    voices = palette("en")
    matrix, model = similarity_matrix(voices)
    keys = [_short(v.key) for v in voices]
    summary = summarize_similarity(matrix, keys)
    print(f"\npalette of {len(voices)} voices, {model} cosine between different voices: {summary}")
    print("| | " + " | ".join(str(i + 1) for i in range(len(keys))) + " |")
    print("| --- |" + " --- |" * len(keys))
    for i, k in enumerate(keys):
        print(f"| {i + 1} {k} | " + " | ".join(f"{matrix[i, j]:.2f}" for j in range(len(keys))) + " |")
    codes = ["M1", "M2", "M3", "F1", "F2", "F3"]
    espeak = list(assign_voices(codes, {c: c[0].lower() for c in codes}).values())
    old = summarize_similarity(similarity_matrix(espeak)[0], [v.key for v in espeak])
    print(f"for comparison, six espeak characters (three of each gender): {old}")
    assert summary.max < 0.75
