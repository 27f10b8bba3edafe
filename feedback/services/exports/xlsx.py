"""The summary workbook: one sheet per section, Chinese headers, native Excel charts.

The workbook is written in openpyxl's write-only (streaming) mode: rows go to disk as they are
appended, so the food-safety list (and the ledger, see ledger.py) never sits in memory. The
charts are openpyxl.chart objects that reference the sheet's own cells, so Excel/WPS draw them
and they update if someone edits the numbers. Every text cell goes through `safe.xlsx_cell`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .labels import CATEGORY_LABELS, PERIOD_TYPE_LABELS
from .safe import xlsx_cell

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(italic=True, color="666666")
WRAP = Alignment(wrap_text=True, vertical="top")
FORMATS = {
    "pct": "0.0%",
    "int": "#,##0",
    "float": "0.00",
    "rate": "0.000",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}
HEADER_ROW = 3  # row 1: title, row 2: note, row 3: headers, data from row 4
CHART_TOP_ROWS = 20  # charts of long lists show the first rows only


@dataclass
class Col:
    key: str
    header: str
    fmt: str | None = None
    width: float = 12


class SheetWriter:
    """Appends a titled table to a write-only sheet and remembers where its data went."""

    def __init__(self, wb: Workbook, title: str, columns: list[Col], caption: str, note: str = ""):
        self.ws = wb.create_sheet(title)
        self.columns = columns
        for i, col in enumerate(columns, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = col.width
        self.ws.freeze_panes = f"A{HEADER_ROW + 1}"
        self.row = 0
        self._append([self._cell(caption, font=TITLE_FONT)])
        self._append([self._cell(note, font=NOTE_FONT)] if note else [])
        self._append([self._cell(c.header, font=HEADER_FONT, fill=HEADER_FILL) for c in columns])
        self.first_data_row = self.row + 1

    def _cell(self, value, font=None, fill=None, fmt=None, align=None):
        cell = WriteOnlyCell(self.ws, value=xlsx_cell(value))
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if fmt is not None:
            cell.number_format = FORMATS[fmt]
        if align is not None:
            cell.alignment = align
        return cell

    def _append(self, cells):
        self.ws.append(cells)
        self.row += 1

    def add(self, record: dict):
        cells = []
        for col in self.columns:
            value = record.get(col.key)
            if col.fmt in ("pct", "float", "rate", "date", "datetime", "int") and value is not None:
                cells.append(self._cell(value, fmt=col.fmt))
            elif col.fmt == "wrap":
                cells.append(self._cell(value, align=WRAP))
            else:
                cells.append(xlsx_cell(value))
        self._append(cells)

    def add_all(self, records: Iterable[dict]) -> int:
        n = 0
        for record in records:
            self.add(record)
            n += 1
        return n

    @property
    def last_data_row(self) -> int:
        return self.row

    @property
    def has_data(self) -> bool:
        return self.row >= self.first_data_row

    def col_index(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns, 1) if c.key == key)

    def anchor(self) -> str:
        return f"{get_column_letter(len(self.columns) + 2)}{HEADER_ROW}"

    def chart_rows(self, limit: int | None = CHART_TOP_ROWS) -> int:
        last = self.last_data_row
        if limit is not None:
            last = min(last, self.first_data_row + limit - 1)
        return last


def _axes_visible(chart):
    # openpyxl >= 3.1 writes <c:delete val="1"/> unless told otherwise: Excel then hides the axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def bar_chart(sheet: SheetWriter, title: str, category_key: str, value_keys: list[str], y_title: str = "投诉数",
              horizontal: bool = False, limit: int | None = CHART_TOP_ROWS, anchor: str | None = None):
    if not sheet.has_data:
        return None
    last = sheet.chart_rows(limit)
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.height, chart.width = 9, 18
    for key in value_keys:
        col = sheet.col_index(key)
        data = Reference(sheet.ws, min_col=col, min_row=HEADER_ROW, max_row=last)
        chart.add_data(data, titles_from_data=True)
    cats = Reference(sheet.ws, min_col=sheet.col_index(category_key), min_row=sheet.first_data_row, max_row=last)
    chart.set_categories(cats)
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # biggest on top, as in the table
    _axes_visible(chart)
    sheet.ws.add_chart(chart, anchor or sheet.anchor())
    return chart


def pareto_chart(sheet: SheetWriter, limit: int | None = CHART_TOP_ROWS):
    """Bars of complaints per cause and a line of the cumulative share on a secondary axis."""
    if not sheet.has_data:
        return None
    last = sheet.chart_rows(limit)
    cats = Reference(sheet.ws, min_col=sheet.col_index("name"), min_row=sheet.first_data_row, max_row=last)
    bar = BarChart()
    bar.title = "根因帕累托图"
    bar.y_axis.title = "投诉数"
    bar.add_data(Reference(sheet.ws, min_col=sheet.col_index("complaints"), min_row=HEADER_ROW, max_row=last),
                 titles_from_data=True)
    bar.set_categories(cats)
    line = LineChart()
    line.add_data(Reference(sheet.ws, min_col=sheet.col_index("cumulative"), min_row=HEADER_ROW, max_row=last),
                  titles_from_data=True)
    line.set_categories(cats)
    line.y_axis.axId = 200
    line.y_axis.title = "累计占比"
    line.y_axis.number_format = "0%"
    line.y_axis.scaling.min = 0
    line.y_axis.scaling.max = 1
    line.y_axis.crosses = "max"
    _axes_visible(bar)
    line.y_axis.delete = False
    bar += line
    bar.height, bar.width = 10, 22
    sheet.ws.add_chart(bar, sheet.anchor())
    return bar


def line_chart(sheet: SheetWriter, title: str, category_key: str, value_keys: list[str], y_title: str,
               anchor: str | None = None):
    if not sheet.has_data:
        return None
    chart = LineChart()
    chart.title = title
    chart.y_axis.title = y_title
    chart.height, chart.width = 9, 18
    for key in value_keys:
        col = sheet.col_index(key)
        chart.add_data(Reference(sheet.ws, min_col=col, min_row=HEADER_ROW, max_row=sheet.last_data_row),
                       titles_from_data=True)
    chart.set_categories(Reference(sheet.ws, min_col=sheet.col_index(category_key),
                                   min_row=sheet.first_data_row, max_row=sheet.last_data_row))
    _axes_visible(chart)
    sheet.ws.add_chart(chart, anchor or sheet.anchor())
    return chart


SHEETS = ("概览", "按类别", "按SKU", "按承运商", "按仓库", "按部门", "根因帕累托", "趋势",
          "食品安全事件", "整改任务", "整改效果", "回复覆盖")


def write_summary_xlsx(summary: dict, food_safety_rows: Iterable[dict], path: str) -> dict:
    """Write the workbook to `path`. Returns {"food_safety_rows": n}."""
    from .summary import FOOD_SAFETY_COLUMNS

    p = summary["period"]
    period_end = dt.datetime.combine(dt.date.fromisoformat(p["end"]), dt.time())
    wb = Workbook(write_only=True)
    # Deterministic document properties: the period, not the moment of writing.
    wb.properties.creator = "Feedback Loop"
    wb.properties.title = f"根因汇总 {p['label']}"
    wb.properties.created = period_end
    wb.properties.modified = period_end
    caption = lambda what: f"{what} · {p['title']}"  # noqa: E731

    # 概览
    ov = summary["overview"]
    s = SheetWriter(wb, "概览", [Col("name", "指标", width=28), Col("value", "数值", width=16),
                                 Col("note", "说明", width=60)],
                    caption("根因汇总"), f"周期类型: {PERIOD_TYPE_LABELS.get(p['kind'], p['kind'])}；"
                    f"统计区间 {p['start']} 至 {p['end']}（含）")
    overview_rows = [
        ("投诉总数", ov["complaints"], "int", "台账中状态不为「非投诉」、发生时间在区间内的条目"),
        ("其中来自评价", ov["from_reviews"], "int", ""),
        ("其中来自售后单", ov["from_tickets"], "int", ""),
        ("上一周期投诉数", ov["previous_complaints"], "int", ""),
        ("环比变化", ov["complaints_change"], "pct", "（本期 - 上期）/ 上期"),
        ("评价总数", ov["reviews"], "int", "评价时间在区间内"),
        ("差评投诉数", ov["bad_rating_complaints"], "int", "来自1-2星（或淘宝差评）评价的投诉"),
        ("中评投诉数", ov["neutral_rating_complaints"], "int", "来自3星（或淘宝中评）评价的投诉"),
        ("订单行数", ov["orders"], "int", "付款时间在区间内"),
        ("每千单投诉数", ov["rate_per_mille"], "rate", "投诉总数 × 1000 / 订单行数"),
        ("食品安全事件", ov["food_safety"], "int", "逐条列于「食品安全事件」"),
        ("临期发货投诉", ov["near_expiry"], "int", ""),
        ("涉及SKU数", ov["skus"], "int", ""),
        ("新开整改任务", ov["tasks_opened"], "int", ""),
        ("已解决任务", ov["tasks_resolved"], "int", ""),
        ("已验证任务", ov["tasks_verified"], "int", ""),
        ("期末逾期任务", ov["tasks_overdue"], "int", "期末时已过SLA且未解决"),
        ("评价解释覆盖率", ov["reply_coverage"], "pct", "来自评价的投诉中已有已批准评价解释的比例"),
    ]
    for name, value, fmt, note in overview_rows:
        s._append([s._cell(name), s._cell(value, fmt=fmt) if value is not None else None, s._cell(note)])

    # 按类别
    s = SheetWriter(wb, "按类别", [Col("label", "类别", width=14), Col("mentioned", "涉及投诉数", "int"),
                                   Col("primary", "主类别投诉数", "int", 14), Col("share", "占投诉比例", "pct")],
                    caption("按类别"), "一条投诉可涉及多个类别，「涉及投诉数」之和可大于投诉总数")
    s.add_all(summary["by_category"])
    bar_chart(s, "各类别投诉数", "label", ["mentioned", "primary"])

    # 按SKU
    s = SheetWriter(wb, "按SKU", [
        Col("sku", "SKU", width=16), Col("product_name", "商品名称", width=30), Col("complaints", "投诉数", "int"),
        Col("share", "占比", "pct"), Col("food_safety", "食品安全", "int"), Col("near_expiry", "临期发货", "int"),
        Col("batches", "涉及批次数", "int"), Col("orders", "订单行数", "int"),
        Col("rate_per_mille", "每千单投诉", "rate")], caption("按SKU"), "按投诉数从多到少；图表显示前20个SKU")
    s.add_all(summary["by_sku"])
    bar_chart(s, "投诉最多的SKU", "sku", ["complaints"], horizontal=True)

    for title, key in (("按承运商", "by_carrier"), ("按仓库", "by_warehouse")):
        name_header = "承运商" if key == "by_carrier" else "仓库"
        s = SheetWriter(wb, title, [
            Col("name", name_header, width=18), Col("complaints", "投诉数", "int"), Col("share", "占比", "pct"),
            Col("logistics", "物流类", "int"), Col("freshness", "新鲜度类", "int"),
            Col("near_expiry", "临期发货", "int"), Col("food_safety", "食品安全", "int"),
            Col("orders", "订单行数", "int"), Col("rate_per_mille", "每千单投诉", "rate")],
            caption(title), "主类别为物流/新鲜度的投诉分列")
        s.add_all(summary[key])
        bar_chart(s, f"各{name_header}投诉数", "name", ["complaints", "logistics", "freshness"])

    # 按部门
    s = SheetWriter(wb, "按部门", [Col("name", "部门", width=16), Col("complaints", "投诉数", "int"),
                                   Col("share", "占比", "pct"), Col("food_safety", "食品安全", "int"),
                                   Col("tasks", "关联任务数", "int")],
                    caption("按部门"), "按投诉作为证据关联的整改任务所属部门统计；关联多个部门的投诉在各部门分别计数")
    s.add_all(summary["by_department"])
    bar_chart(s, "各部门投诉数", "name", ["complaints"])

    # 根因帕累托
    s = SheetWriter(wb, "根因帕累托", [Col("name", "根因", width=36), Col("cause_key", "根因键", width=36),
                                       Col("task_id", "任务编号", "int", 10), Col("complaints", "投诉数", "int"),
                                       Col("share", "占比", "pct"), Col("cumulative", "累计占比", "pct")],
                    caption("根因帕累托"), "投诉归入其关联的首个整改任务的根因；未关联任务的按主类别归入")
    s.add_all(summary["pareto"])
    pareto_chart(s)

    # 趋势
    trend_rows = []
    for t in summary["trend"]:
        row = dict(t)
        row["period"] = t["label"] + (" (本期)" if t["current"] else "")
        for code in CATEGORY_LABELS:
            row["cat_" + code] = t["categories"].get(code, 0)
        trend_rows.append(row)
    s = SheetWriter(wb, "趋势", [
        Col("period", "周期", width=20), Col("start", "开始", width=12), Col("end", "结束", width=12),
        Col("complaints", "投诉数", "int"), Col("change", "环比", "pct"), Col("food_safety", "食品安全", "int"),
        Col("near_expiry", "临期发货", "int"), Col("reviews", "评价数", "int"), Col("orders", "订单行数", "int"),
        Col("rate_per_mille", "每千单投诉", "rate")] + [
        Col("cat_" + code, f"主类别·{name}", "int") for code, name in CATEGORY_LABELS.items()],
        caption("趋势"), f"本期与之前 {len(summary['trend']) - 1} 个同类周期对比")
    s.add_all(trend_rows)
    line_chart(s, "投诉数趋势", "period", ["complaints", "food_safety"], "投诉数")
    line_chart(s, "各类别趋势", "period", ["cat_" + c for c in CATEGORY_LABELS], "投诉数",
               anchor=f"{get_column_letter(len(s.columns) + 2)}{HEADER_ROW + 20}")

    # 食品安全事件 (streamed)
    s = SheetWriter(wb, "食品安全事件", [
        Col(key, header, {"occurred_at": "datetime", "production_date": "date", "expiry_date": "date",
                          "text": "wrap"}.get(key),
            {"text": 60, "product_name": 24, "occurred_at": 20}.get(key, 12))
        for key, header in FOOD_SAFETY_COLUMNS], caption("食品安全事件"), "逐条列出，按发生时间排序")
    n_food = s.add_all(food_safety_rows)

    # 整改任务
    tasks = summary["tasks"]
    s = SheetWriter(wb, "整改任务", [
        Col("name", "部门", width=14), Col("opened", "新开", "int"), Col("resolved", "已解决", "int"),
        Col("verified", "已验证", "int"), Col("reopened", "重开", "int"), Col("overdue", "期末逾期", "int"),
        Col("food_safety_opened", "新开食品安全", "int", 14),
        Col("mean_hours_to_resolve", "平均解决时长(小时)", "float", 18),
        Col("on_time_share", "SLA内解决比例", "pct", 14)],
        caption("整改任务"), "新开/解决/验证/重开按区间内发生计数；逾期为期末时已过SLA且未解决")
    s.add_all(tasks["departments"])
    s.add(dict(tasks["total"], name="合计"))
    bar_chart(s, "各部门整改任务", "name", ["opened", "resolved", "verified", "reopened", "overdue"],
              y_title="任务数", limit=len(tasks["departments"]))

    # 整改效果
    s = SheetWriter(wb, "整改效果", [
        Col("task_id", "任务编号", "int", 10), Col("department", "部门", width=12),
        Col("category_label", "类别", width=10), Col("title", "任务", width=30), Col("cause_key", "根因键", width=30),
        Col("opened_at", "开立时间", width=20), Col("resolved_at", "解决时间", width=20),
        Col("verified_at", "验证时间", width=20), Col("rate_before", "整改前投诉率", "rate", 14),
        Col("rate_after", "整改后投诉率", "rate", 14), Col("change", "变化", "pct"), Col("effective", "有效", width=8),
        Col("complaints", "关联投诉", "int")],
        caption("整改效果"), "区间内验证的任务：其根因的投诉率在整改前后的对比")
    s.add_all(summary["effectiveness"])
    bar_chart(s, "整改前后投诉率", "task_id", ["rate_before", "rate_after"], y_title="投诉率", limit=None)

    # 回复覆盖
    rc = summary["reply_coverage"]
    s = SheetWriter(wb, "回复覆盖", [Col("label", "平台", width=12), Col("complaints", "来自评价的投诉", "int", 16),
                                     Col("replied", "已批准评价解释", "int", 16), Col("coverage", "覆盖率", "pct")],
                    caption("评价解释覆盖"),
                    "已批准（含已发布）的评价解释" if rc["available"] else "评价解释模块尚未启用，覆盖率不可用")
    s.add_all(rc["platforms"])
    s.add(dict(rc["total"], label="合计"))
    bar_chart(s, "各平台投诉与已批准解释", "label", ["complaints", "replied"], limit=len(rc["platforms"]))

    wb.save(path)
    return {"food_safety_rows": n_food}
