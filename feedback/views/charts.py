"""Server-side SVG charts: plain markup, no JavaScript, nothing inline that CSP would block
(presentation comes from classes in app.css; SVG geometry attributes are not styles)."""
from __future__ import annotations

from markupsafe import Markup, escape


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def line_chart(points: list[tuple[str, int]], *, width: int = 720, height: int = 200, title: str = "") -> Markup:
    """A line + area chart of (label, value) points, y axis from 0; labels thinned to fit."""
    pad_l, pad_r, pad_t, pad_b = 36, 36, 14, 28
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(points)
    top = max([v for _, v in points] + [1])
    step = w / max(n - 1, 1)

    def xy(i, v):
        return pad_l + i * step, pad_t + h - (v / top) * h

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>"]
    for k in range(5):  # grid + y labels
        y = pad_t + h - k * h / 4
        parts.append(f'<line class="grid" x1="{pad_l}" y1="{_fmt(y)}" x2="{pad_l + w}" y2="{_fmt(y)}"/>')
        parts.append(f'<text x="{pad_l - 4}" y="{_fmt(y + 3)}" text-anchor="end">{round(top * k / 4)}</text>')
    parts.append(f'<line class="axis" x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}"/>')
    if n:
        coords = [xy(i, v) for i, (_, v) in enumerate(points)]
        path = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in coords)
        area = f"{_fmt(coords[0][0])},{pad_t + h} {path} {_fmt(coords[-1][0])},{pad_t + h}"
        parts.append(f'<polygon class="area" points="{area}"/>')
        parts.append(f'<polyline class="line" points="{path}"/>')
        every = max(1, n // 8)
        for i, ((label, v), (x, y)) in enumerate(zip(points, coords, strict=True)):
            parts.append(f'<circle class="dot" cx="{_fmt(x)}" cy="{_fmt(y)}" r="2.5"><title>{escape(label)}: {v}</title></circle>')
            if i % every == 0 or i == n - 1:
                parts.append(f'<text x="{_fmt(x)}" y="{pad_t + h + 16}" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(points: list[tuple[str, int]], *, width: int = 360, height: int = 120, title: str = "") -> Markup:
    """Small bars of (label, value); for a task's complaints per week."""
    pad_l, pad_r, pad_t, pad_b = 24, 6, 10, 22
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(points)
    top = max([v for _, v in points] + [1])
    slot = w / max(n, 1)
    parts = [f'<svg class="chart small" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg">', f"<title>{escape(title)}</title>",
             f'<line class="axis" x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}"/>',
             f'<text x="{pad_l - 4}" y="{pad_t + 4}" text-anchor="end">{top}</text>']
    every = max(1, n // 6)
    for i, (label, v) in enumerate(points):
        bh = (v / top) * h
        x = pad_l + i * slot + slot * 0.15
        parts.append(f'<rect class="bar" x="{_fmt(x)}" y="{_fmt(pad_t + h - bh)}" width="{_fmt(slot * 0.7)}" '
                     f'height="{_fmt(bh)}"><title>{escape(label)}: {v}</title></rect>')
        if i % every == 0 or i == n - 1:
            short = label.split("-")[-1] if "-W" in label else label
            parts.append(f'<text x="{_fmt(x + slot * 0.35)}" y="{pad_t + h + 14}" text-anchor="middle">{escape(short)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
