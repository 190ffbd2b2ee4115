"""Who speaks when, drawn server-side as SVG: one row per speaker, coloured by speaker."""
from __future__ import annotations

from xml.sax.saxutils import escape

__all__ = ["diarization_svg", "PALETTE"]

PALETTE = ["#2f80ed", "#eb5757", "#27ae60", "#f2994a", "#9b51e0", "#56ccf2", "#bb6bd9", "#219653", "#f2c94c"]


def diarization_svg(turns: list[dict], duration: float, *, labels: dict[str, str] | None = None,
                    width: int = 900, row: int = 22) -> str:
    speakers = list(dict.fromkeys(t["speaker"] for t in sorted(turns, key=lambda t: t["start"])))
    names = {spk: spk + (f" · {labels[spk]}" if labels and labels.get(spk) else "") for spk in speakers}
    # room for the longest "label · character" (≈7 px a character at 12 px), within reason
    left, top = min(max(150, 7 * max((len(n) for n in names.values()), default=0) + 12), 320), 8
    height = top + row * max(len(speakers), 1) + 26
    scale = (width - left - 10) / max(duration, 1e-6)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img" '
             f'aria-label="diarization timeline">']
    for i, spk in enumerate(speakers):
        y = top + i * row
        color = PALETTE[i % len(PALETTE)]
        name = escape(names[spk])
        parts.append(f'<text x="4" y="{y + 15}" fill="#333">{name}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{width - left - 10}" height="{row - 6}" fill="#f1f3f5"/>')
        for t in turns:
            if t["speaker"] == spk:
                x, w = left + t["start"] * scale, max((t["end"] - t["start"]) * scale, 1)
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{color}">'
                             f'<title>{escape(spk)} {t["start"]:.2f}–{t["end"]:.2f} s</title></rect>')
    axis_y = top + row * max(len(speakers), 1) + 4
    step = next(s for s in (1, 2, 5, 10, 30, 60, 120, 300, 600) if duration / s <= 12)
    tick = 0.0
    while tick <= duration + 1e-6:
        x = left + tick * scale
        parts.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="#666"/>'
                     f'<text x="{x:.1f}" y="{axis_y + 16}" fill="#666" text-anchor="middle">{int(tick)}s</text>')
        tick += step
    parts.append("</svg>")
    return "".join(parts)
