"""The QC pictures, drawn from a pass's `qc.json` (and, for drift, from several episodes')."""
from __future__ import annotations

from xml.sax.saxutils import escape

from .charts import Plot
from .timeline import PALETTE

__all__ = ["who_speaks_svg", "loudness_svg", "similarity_svg", "speed_svg", "drift_svg"]

FAIL = "#d00"


def _colors(names) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(names))}


def who_speaks_svg(qc: dict, *, width: int = 900, row: int = 20) -> str:
    """Source diarization above (one row per speaker), the dub's lines below (one row per
    character), coloured by character; lines that fail a check have a red outline."""
    turns, lines, duration = qc.get("source_turns", []), qc.get("lines", []), max(qc.get("duration") or 0, 1e-6)
    chars = list(dict.fromkeys([t.get("character") or t["speaker"] for t in turns] +
                               [ln.get("character") or "?" for ln in lines]))
    colors = _colors(chars)
    rows = [("source · " + spk, [(t["start"], t["end"], t.get("character") or spk, False, f"{spk} {t['start']:.1f}–{t['end']:.1f} s")
                                 for t in turns if t["speaker"] == spk])
            for spk in dict.fromkeys(t["speaker"] for t in turns)]
    for char in dict.fromkeys(ln.get("character") or "?" for ln in lines):
        rows.append(("dub · " + char, [(ln.get("dub_start", ln["start"]), ln.get("dub_end", ln["end"]), char,
                                        bool(ln.get("flags")),
                                        f"line {ln['index']} {ln['start']:.1f} s: " + ("; ".join(ln.get("reasons") or []) or "ok"))
                                       for ln in lines if (ln.get("character") or "?") == char]))
    left, top = 170, 22
    height = top + row * max(len(rows), 1) + 24
    scale = (width - left - 10) / duration
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'font-family="sans-serif" font-size="11" role="img" aria-label="who speaks when">'
             f'<text x="4" y="14" font-weight="bold" fill="#333">Who speaks when: source above, dub below '
             f'(red outline: fails a check)</text>']
    for i, (name, spans) in enumerate(rows):
        y = top + i * row
        parts.append(f'<text x="4" y="{y + 14}" fill="#333">{escape(name[:28])}</text>'
                     f'<rect x="{left}" y="{y + 3}" width="{width - left - 10}" height="{row - 6}" fill="#f1f3f5"/>')
        for start, end, char, failed, tip in spans:
            stroke = f' stroke="{FAIL}" stroke-width="2"' if failed else ""
            parts.append(f'<rect x="{left + start * scale:.1f}" y="{y + 3}" width="{max((end - start) * scale, 1):.1f}" '
                         f'height="{row - 6}" fill="{colors.get(char, "#999")}"{stroke}><title>{escape(tip)}</title></rect>')
    parts.append(f'<text x="{left}" y="{height - 6}" fill="#666">0 s</text>'
                 f'<text x="{width - 10}" y="{height - 6}" fill="#666" text-anchor="end">{duration:.0f} s</text></svg>')
    return "".join(parts)


def loudness_svg(qc: dict) -> str:
    ep = qc.get("episode", {})
    curve = [(t, v) for t, v in ep.get("short_term", [])]
    target, ceiling = ep.get("target_lufs", -23.0), ep.get("ceiling_dbtp", -1.0)
    low = min([v for _, v in curve if v > -69] + [target - 15])
    plot = Plot("Short-term loudness of the mix", (0, max(qc.get("duration") or 1, 1)), (max(low - 3, -70), 0),
                x_label="seconds", y_label="LUFS / dB")
    plot.line(curve, "#2f80ed", label="short-term (3 s)")
    plot.hline(target, "#27ae60", f"target {target:.0f} LUFS")
    plot.hline(ceiling, FAIL, f"true-peak ceiling {ceiling:.0f} dBTP")
    return plot.svg()


def similarity_svg(qc: dict) -> str:
    """Each dubbed line's similarity to its character's voice, by time, one colour per character."""
    lines = [ln for ln in qc.get("lines", []) if ln.get("similarity") is not None]
    plot = Plot("Voice: similarity of each dubbed line to its character", (0, max(qc.get("duration") or 1, 1)),
                (min([ln["similarity"] for ln in lines] + [0.0]), 1.0), x_label="seconds", y_label="cosine")
    colors = _colors(ln.get("character") or "?" for ln in lines)
    for char, color in colors.items():
        mine = [ln for ln in lines if (ln.get("character") or "?") == char]
        plot.points([(ln["start"], ln["similarity"], f"line {ln['index']}: {ln['similarity']:.2f}"
                      + (f", closer to {ln['closest_other']}" if "qc_voice" in ln.get("flags", []) else ""))
                     for ln in mine], color, label=char,
                    marked={i for i, ln in enumerate(mine) if "qc_voice" in ln.get("flags", [])})
    return plot.svg()


def speed_svg(qc: dict, *, step: float = 0.05) -> str:
    """Histogram of the speed-ups the lines needed; the limit is the dashed line."""
    speeds = [ln.get("speed") or 1.0 for ln in qc.get("lines", [])]
    limit = qc.get("thresholds", {}).get("speed", 1.35)
    lo, hi = 0.7, max(max(speeds, default=1.0), limit) + step
    bins: dict[int, int] = {}
    for s in speeds:
        bins[int((s - lo) // step)] = bins.get(int((s - lo) // step), 0) + 1
    plot = Plot("Speed-up per line", (lo, hi), (0, max(bins.values(), default=1)), x_label="× speed", y_label="lines",
                height=200)
    plot.bars([(lo + k * step, lo + (k + 1) * step, n, f"{lo + k * step:.2f}–{lo + (k + 1) * step:.2f}×: {n}")
               for k, n in sorted(bins.items())], "#2f80ed")
    plot.line([(limit, 0), (limit, max(bins.values(), default=1))], FAIL, label=f"limit {limit:.2f}×", dash="5,4")
    return plot.svg()


def drift_svg(series: dict[str, list[tuple[float, float]]], *, title: str = "Voice drift across episodes") -> str:
    """{character: [(episode order, mean similarity of its dubbed lines)]}: a falling line is a
    voice drifting away from the character's reference."""
    xs = [x for pts in series.values() for x, _ in pts]
    ys = [y for pts in series.values() for _, y in pts]
    plot = Plot(title, (min(xs, default=0) - 0.5, max(xs, default=1) + 0.5), (min(ys + [0.0]), 1.0),
                x_label="episode", y_label="cosine")
    for (char, pts), color in zip(series.items(), _colors(series).values()):
        plot.line(sorted(pts), color, label=char)
        plot.points([(x, y, f"{char} episode {x:g}: {y:.2f}") for x, y in sorted(pts)], color)
    return plot.svg()
