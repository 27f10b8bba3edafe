"""Server-side SVG charts for the web pages and the HTML summary (the XLSX has native charts).

Plain markup, no script and no style attribute (the CSP forbids inline ones): geometry and colours
are SVG presentation attributes or classes (``svg.chart`` in app.css for the ledger and task
pages, ``svg.export-chart`` in exports.css for the summary). Every label is escaped; each bar and
point carries a <title> so hovering shows the exact number.
"""
from __future__ import annotations

from markupsafe import Markup, escape

PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#64748b")
FONT = 12


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}".rstrip("0").rstrip(".")
    return str(v)


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    exp = 1.0
    while exp * 10 <= v:
        exp *= 10
    while exp > v:
        exp /= 10
    for m in (1, 2, 2.5, 5, 10):
        if m * exp >= v:
            return m * exp
    return 10 * exp


def _clip(text: str, n: int = 16) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def _legend(names: list[str], x: float, y: float) -> list[str]:
    out = []
    for i, name in enumerate(names):
        xi = x + i * 110
        out.append(f'<rect x="{xi:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        out.append(f'<text x="{xi + 14:.1f}" y="{y:.1f}" class="chart-legend">{escape(_clip(name, 12))}</text>')
    return out


def _svg(width: int, height: int, title: str, body: list[str], css_class: str = "export-chart",
         fixed_size: bool = True) -> Markup:
    size = f'width="{width}" height="{height}" ' if fixed_size else ""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" viewBox="0 0 {width} {height}" '
        f'{size}role="img" aria-label="{escape(title)}">'
        f'<title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _y_grid(x0: float, x1: float, bottom: float, plot_h: float, vmax: float,
            web: bool = False) -> list[str]:
    """Five horizontal grid lines from 0 to ``vmax``, each with its value at the left."""
    out = []
    for tick in range(5):
        y = bottom - plot_h * tick / 4
        value = escape(_fmt(round(vmax * tick / 4, 2)))
        if web:
            out.append(f'<line class="grid" x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}"/>')
            out.append(f'<text x="{x0 - 4}" y="{y + 3:.1f}" text-anchor="end">{value}</text>')
        else:
            out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#e5e7eb"/>')
            out.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end" class="chart-axis">{value}</text>')
    return out


def empty_chart(title: str, width: int = 640, height: int = 60) -> Markup:
    return _svg(width, height, title, [f'<text x="10" y="34" class="chart-empty">{escape(title)}：本期无数据</text>'])


def hbar_chart(title: str, labels: list[str], series: list[tuple[str, list]], width: int = 640) -> Markup:
    """Horizontal grouped bars: one group per label, one bar per series."""
    if not labels:
        return empty_chart(title, width)
    n_series = len(series)
    bar_h = 14
    group_h = bar_h * n_series + 8
    left, right, top = 150, 60, 30 if n_series > 1 else 10
    height = top + group_h * len(labels) + 24
    vmax = _nice_max(max((v or 0) for _, values in series for v in values) or 0)
    plot_w = width - left - right
    body = _legend([name for name, _ in series], left, 16) if n_series > 1 else []
    for tick in range(5):
        x = left + plot_w * tick / 4
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - 20}" stroke="#e5e7eb"/>')
        body.append(f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" class="chart-axis">'
                    f'{escape(_fmt(round(vmax * tick / 4, 3)))}</text>')
    for i, lab in enumerate(labels):
        y0 = top + i * group_h
        body.append(f'<text x="{left - 6}" y="{y0 + group_h / 2 + 2:.1f}" text-anchor="end" class="chart-label">'
                    f'<title>{escape(lab)}</title>{escape(_clip(lab, 14))}</text>')
        for j, (name, values) in enumerate(series):
            v = values[i] or 0
            w = plot_w * v / vmax if vmax else 0
            y = y0 + j * bar_h + 4
            body.append(f'<rect x="{left}" y="{y:.1f}" width="{w:.1f}" height="{bar_h - 2}" '
                        f'fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(lab)} · {escape(name)}: '
                        f'{escape(_fmt(values[i]))}</title></rect>')
            body.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 4:.1f}" class="chart-value">'
                        f'{escape(_fmt(values[i]))}</text>')
    return _svg(width, height, title, body)


def pareto_chart(title: str, labels: list[str], counts: list[int], cumulative: list[float],
                 width: int = 720, height: int = 300) -> Markup:
    """Vertical bars (complaints per cause) and the cumulative share as a line (right axis, 0–100%)."""
    if not labels:
        return empty_chart(title, width)
    left, right, top, bottom = 50, 50, 16, 90
    plot_w, plot_h = width - left - right, height - top - bottom
    vmax = _nice_max(max(counts) if counts else 0)
    step = plot_w / len(labels)
    body = _y_grid(left, width - right, top + plot_h, plot_h, vmax)
    for tick in range(5):  # the cumulative share's axis on the right
        y = top + plot_h - plot_h * tick / 4
        body.append(f'<text x="{width - right + 4}" y="{y + 4:.1f}" class="chart-axis">{tick * 25}%</text>')
    points = []
    for i, (lab, n, cum) in enumerate(zip(labels, counts, cumulative)):
        x = left + i * step
        h = plot_h * (n or 0) / vmax
        body.append(f'<rect x="{x + step * 0.15:.1f}" y="{top + plot_h - h:.1f}" width="{step * 0.7:.1f}" '
                    f'height="{h:.1f}" fill="{PALETTE[0]}"><title>{escape(lab)}: {n}</title></rect>')
        cx, cy = x + step / 2, top + plot_h - plot_h * (cum or 0)
        points.append(f"{cx:.1f},{cy:.1f}")
        body.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" fill="{PALETTE[1]}">'
                    f'<title>累计 {escape(_fmt(round((cum or 0) * 100, 1)))}%</title></circle>')
        body.append(f'<text transform="translate({cx:.1f},{top + plot_h + 10}) rotate(40)" class="chart-label">'
                    f'{escape(_clip(lab, 12))}</text>')
    body.insert(0, f'<polyline points="{" ".join(points)}" fill="none" stroke="{PALETTE[1]}" stroke-width="2"/>')
    return _svg(width, height, title, body)


def line_chart(title: str, labels: list[str], series: list[tuple[str, list]], width: int = 640,
               height: int = 260) -> Markup:
    if not labels:
        return empty_chart(title, width)
    left, right, top, bottom = 50, 20, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    vmax = _nice_max(max(((v or 0) for _, values in series for v in values), default=0))
    step = plot_w / max(len(labels) - 1, 1)
    body = _legend([name for name, _ in series], left, 16) + _y_grid(left, width - right, top + plot_h,
                                                                     plot_h, vmax)
    for i, lab in enumerate(labels):
        x = left + i * step
        body.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" class="chart-label">'
                    f'{escape(lab)}</text>')
    for j, (name, values) in enumerate(series):
        colour = PALETTE[j % len(PALETTE)]
        pts = []
        for i, v in enumerate(values):
            x = left + i * step
            y = top + plot_h - plot_h * (v or 0) / vmax
            pts.append(f"{x:.1f},{y:.1f}")
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{escape(labels[i])} · '
                        f'{escape(name)}: {escape(_fmt(v))}</title></circle>')
        body.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    return _svg(width, height, title, body)


# -- the web pages' small weekly charts (styled by svg.chart classes in app.css) ------------------

def _c(x: float) -> str:
    return f"{x:.1f}"


def week_trend_chart(points: list[tuple[str, int]], *, width: int = 720, height: int = 200,
                     title: str = "") -> Markup:
    """A line + area chart of (label, value) points, y axis from 0; labels thinned to fit."""
    pad_l, pad_r, pad_t, pad_b = 36, 36, 14, 28
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(points)
    top = _nice_max(max([v for _, v in points] + [1]))
    step = w / max(n - 1, 1)
    body = _y_grid(pad_l, pad_l + w, pad_t + h, h, top, web=True)
    body.append(f'<line class="axis" x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}"/>')
    if n:
        coords = [(pad_l + i * step, pad_t + h - (v / top) * h) for i, (_, v) in enumerate(points)]
        path = " ".join(f"{_c(x)},{_c(y)}" for x, y in coords)
        area = f"{_c(coords[0][0])},{pad_t + h} {path} {_c(coords[-1][0])},{pad_t + h}"
        body.append(f'<polygon class="area" points="{area}"/>')
        body.append(f'<polyline class="line" points="{path}"/>')
        every = max(1, n // 8)
        for i, ((label, v), (x, y)) in enumerate(zip(points, coords, strict=True)):
            body.append(f'<circle class="dot" cx="{_c(x)}" cy="{_c(y)}" r="2.5"><title>{escape(label)}: {v}</title></circle>')
            if i % every == 0 or i == n - 1:
                body.append(f'<text x="{_c(x)}" y="{pad_t + h + 16}" text-anchor="middle">{escape(label)}</text>')
    return _svg(width, height, title, body, css_class="chart", fixed_size=False)


def week_bar_chart(points: list[tuple[str, int]], *, width: int = 360, height: int = 120,
                   title: str = "") -> Markup:
    """Small bars of (label, value); for a task's complaints per week."""
    pad_l, pad_r, pad_t, pad_b = 24, 6, 10, 22
    w, h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(points)
    top = max([v for _, v in points] + [1])
    slot = w / max(n, 1)
    body = [f'<line class="axis" x1="{pad_l}" y1="{pad_t + h}" x2="{pad_l + w}" y2="{pad_t + h}"/>',
            f'<text x="{pad_l - 4}" y="{pad_t + 4}" text-anchor="end">{top}</text>']
    every = max(1, n // 6)
    for i, (label, v) in enumerate(points):
        bh = (v / top) * h
        x = pad_l + i * slot + slot * 0.15
        body.append(f'<rect class="bar" x="{_c(x)}" y="{_c(pad_t + h - bh)}" width="{_c(slot * 0.7)}" '
                    f'height="{_c(bh)}"><title>{escape(label)}: {v}</title></rect>')
        if i % every == 0 or i == n - 1:
            short = label.split("-")[-1] if "-W" in label else label
            body.append(f'<text x="{_c(x + slot * 0.35)}" y="{pad_t + h + 14}" text-anchor="middle">{escape(short)}</text>')
    return _svg(width, height, title, body, css_class="chart small", fixed_size=False)
