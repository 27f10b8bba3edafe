"""The SVG charts (web pages and HTML summary): escaped labels, no inline style or script (CSP)."""
from __future__ import annotations

import re

from feedback.charts import (empty_chart, hbar_chart, line_chart, pareto_chart, week_bar_chart,
                             week_trend_chart)


def test_labels_are_escaped_and_there_is_no_inline_style_or_script():
    svg = str(hbar_chart("标题", ['<script>alert(1)</script>', '"quoted"'], [("投诉数", [3, 1])]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg and "<style" not in svg
    assert svg.count("<rect") == 2


def test_bar_lengths_are_proportional():
    svg = str(hbar_chart("t", ["a", "b"], [("n", [4, 2])]))
    widths = [float(w) for w in re.findall(r'<rect x="150" y="[\d.]+" width="([\d.]+)"', svg)]
    assert len(widths) == 2 and abs(widths[0] - 2 * widths[1]) < 0.2


def test_pareto_has_bars_and_a_cumulative_line():
    svg = str(pareto_chart("帕累托", ["a", "b", "c"], [5, 3, 2], [0.5, 0.8, 1.0]))
    assert svg.count("<rect") == 3 and "<polyline" in svg and "100%" in svg


def test_line_and_empty_charts():
    svg = str(line_chart("趋势", ["W1", "W2"], [("投诉", [1, 2]), ("食品安全", [0, 1])]))
    assert svg.count("<polyline") == 2
    assert "本期无数据" in str(empty_chart("x")) and "本期无数据" in str(hbar_chart("x", [], []))


def test_week_charts_of_the_web_pages():
    points = [("2026-W01", 4), ("2026-W02", 0), ("<b>", 2)]
    trend = str(week_trend_chart(points, title="每周中差评数"))
    assert trend.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart"')
    assert trend.count("<circle") == 3 and "<polygon" in trend and "&lt;b&gt;" in trend
    assert "style=" not in trend and "<b>" not in trend
    bars = str(week_bar_chart(points, title="每周投诉数"))
    assert 'class="chart small"' in bars and bars.count("<rect") == 3
    heights = [float(h) for h in re.findall(r'height="([\d.]+)"><title>', bars)]
    assert heights[1] == 0 and abs(heights[0] - 2 * heights[2]) < 0.2
    assert str(week_trend_chart([], title="x")).count("<circle") == 0
