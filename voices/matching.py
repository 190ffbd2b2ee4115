"""Which known character each speaker of an episode is: a one-to-one matching, not an argmax.

Pure numbers (no ORM): similarities between the episode's labels and the series' characters
in one embedding model's space. The matching maximises the summed similarity over pairs above
the threshold with the Hungarian algorithm, so two labels of one episode never get the same
character. A match is *confident* when it clears the threshold and beats the label's next
best character (and the character's next best label) by the margin; otherwise it is kept but
flagged for review, and does not teach the character's voice anything.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["Thresholds", "Decision", "match", "DEFAULT_THRESHOLDS", "thresholds_for"]


@dataclass(frozen=True)
class Thresholds:
    accept: float  # cosine above which a label may be a known character
    margin: float  # a match closer than this to the runner-up is flagged


# Per model family (similarities of different models live on different scales). Rule: above
# the upper tail of different-person similarities with room to spare, because a false merge
# (one person speaking with another's voice) costs more than a new character an editor merges
# in one click; then check the same person's pairs still clear it. Measured on eval-data by
# tests/voices/test_calibration.py (figures in the README, "Voice memory"). CAM++: different
# people ≤ 0.34, same person ≥ 0.49 → 0.40. Resemblyzer's ranges overlap (different up to 0.81,
# same from 0.67), so it only accepts very close voices: a fallback that errs towards "new".
# ECAPA (VoxCeleb-trained, cosine scale like CAM++) uses CAM++'s until measured.
DEFAULT_THRESHOLDS = {
    "campplus": Thresholds(accept=0.40, margin=0.10),
    "ecapa": Thresholds(accept=0.40, margin=0.10),
    "resemblyzer": Thresholds(accept=0.85, margin=0.05),
}
FALLBACK = Thresholds(accept=0.50, margin=0.10)


def thresholds_for(model_id: str, override: float | None = None) -> Thresholds:
    family = model_id.split(":", 1)[0].split("/", 1)[0].lower()
    base = next((t for name, t in DEFAULT_THRESHOLDS.items() if family.startswith(name)), FALLBACK)
    return Thresholds(accept=override, margin=base.margin) if override is not None else base


@dataclass
class Decision:
    label: str
    character: int | None  # None: no known character is this voice
    similarity: float | None  # to the chosen character, or the best one when none was chosen
    margin: float | None
    confident: bool
    reason: str = ""


def match(labels: list[str], characters: list[int], sims: np.ndarray, thresholds: Thresholds) -> list[Decision]:
    """`sims[i, j]`: label i vs character j. Returns one decision per label, in order."""
    n, m = len(labels), len(characters)
    if m == 0 or n == 0:
        return [Decision(label, None, None, None, True, "no known character has a voice in this model")
                for label in labels]
    sims = np.asarray(sims, dtype=np.float64).reshape(n, m)
    # pairs below the threshold may not be chosen: give them a cost no real pair reaches
    gain = np.where(sims >= thresholds.accept, sims, -1e3)
    rows, cols = linear_sum_assignment(-gain)
    chosen = {int(r): int(c) for r, c in zip(rows, cols) if gain[r, c] > -1e3}
    out = []
    for i, label in enumerate(labels):
        order = np.argsort(-sims[i])
        best = float(sims[i, order[0]])
        if i not in chosen:
            why = (f"best known voice {best:.2f} is below the threshold {thresholds.accept:.2f}"
                   if best < thresholds.accept else "its best match went to a closer speaker of this episode")
            out.append(Decision(label, None, round(best, 4), None, True, why))
            continue
        j = chosen[i]
        sim = float(sims[i, j])
        other_chars = [float(sims[i, k]) for k in range(m) if k != j]
        other_labels = [float(sims[k, j]) for k in range(n) if k != i]
        runner_up = max(other_chars + other_labels, default=-1.0)
        margin = sim - runner_up if runner_up > -1.0 else None
        confident = margin is None or margin >= thresholds.margin
        reason = "" if confident else (f"close call: {sim:.2f} vs {runner_up:.2f} for the next candidate "
                                       f"(margin {margin:.2f} < {thresholds.margin:.2f})")
        out.append(Decision(label, characters[j], round(sim, 4), None if margin is None else round(margin, 4),
                            confident, reason))
    return out
