"""The summary and ledger files against the database (SQLite and PostgreSQL): sheets, totals,
native charts, formula neutralization with hostile review texts, BOM and emoji, determinism."""
from __future__ import annotations

import csv
import datetime as dt
from collections import Counter

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from feedback.models import LedgerEntry, Order, RootCauseTask
from feedback.services.exports.jobs import write_export
from feedback.services.exports.ledger import HEADERS
from feedback.services.exports.period import month_of, period_for
from feedback.services.exports.summary import build_summary
from feedback.services.exports.xlsx import SHEETS

from .exports_scenario import EMOJI_TEXT, HOSTILE_TEXTS, seed

NOV = month_of(dt.date(2026, 11, 1))


@pytest.fixture
def data(dbsession):
    return seed(dbsession)


def _in_nov(e: LedgerEntry) -> bool:
    start, end = NOV.bounds
    return start <= e.occurred_at < end and e.status != "not_complaint"


def _xml(text: str) -> str:
    """XML parsers (openpyxl's and Excel's) read a raw carriage return back as a line feed."""
    return text.replace("\r", "\n")


def _table(ws) -> list[tuple]:
    """The data rows of a section sheet (headers on row 3), up to the first empty row."""
    rows = []
    for row in ws.iter_rows(min_row=4, values_only=True):
        if all(v is None for v in row):
            break
        rows.append(row)
    return rows


def _header(ws) -> list:
    return [c for c in next(ws.iter_rows(min_row=3, max_row=3, values_only=True)) if c is not None]


def _summary_file(dbsession, tmp_path, name="s.xlsx", period=NOV):
    path = tmp_path / name
    write_export(dbsession, "summary", "xlsx", period, path)
    return load_workbook(path)


def test_summary_numbers_match_the_database(dbsession, data):
    nov = [e for e in data["entries"].values() if _in_nov(e)]
    s = build_summary(dbsession, NOV)
    db_total = dbsession.execute(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.occurred_at >= dt.datetime(2026, 11, 1), LedgerEntry.occurred_at < dt.datetime(2026, 12, 1),
        LedgerEntry.status != "not_complaint")).scalar()
    assert s["overview"]["complaints"] == len(nov) == db_total
    assert s["overview"]["food_safety"] == sum(e.food_safety for e in nov)
    assert s["overview"]["from_tickets"] == sum(e.ticket_id is not None for e in nov)
    # 差评/中评 by stars, or by Taobao's level where the platform gives no stars
    reviews = [e for e in nov if e.review_id is not None]
    level = {e.id: e.rating_stars and ("bad" if e.rating_stars <= 2 else "neutral" if e.rating_stars == 3 else "good")
             or e.rating_level for e in reviews}
    assert s["overview"]["bad_rating_complaints"] == sum(level[e.id] == "bad" for e in reviews)
    assert s["overview"]["neutral_rating_complaints"] == sum(level[e.id] == "neutral" for e in reviews)
    orders = dbsession.execute(select(func.count()).select_from(Order).where(
        Order.paid_at >= dt.datetime(2026, 11, 1), Order.paid_at < dt.datetime(2026, 12, 1))).scalar()
    assert s["overview"]["orders"] == orders
    assert s["overview"]["rate_per_mille"] == pytest.approx(len(nov) * 1000 / orders, abs=1e-3)

    mentioned = Counter(c.category for e in nov for c in e.categories)
    assert {r["category"]: r["mentioned"] for r in s["by_category"]} == dict(mentioned)
    assert {r["category"]: r["primary"] for r in s["by_category"] if r["primary"]} == \
        dict(Counter(e.primary_category for e in nov))
    assert {r["sku"]: r["complaints"] for r in s["by_sku"]} == dict(Counter(e.sku for e in nov))
    assert [r["complaints"] for r in s["by_sku"]] == sorted([r["complaints"] for r in s["by_sku"]], reverse=True)
    assert {r["name"]: r["complaints"] for r in s["by_carrier"]} == \
        {k or "(未知)": v for k, v in Counter(e.carrier for e in nov).items()}
    assert sum(r["complaints"] for r in s["by_warehouse"]) == len(nov)

    # Pareto: shares add up to 100%, the cumulative column ends at 1, sorted by count.
    assert sum(r["complaints"] for r in s["pareto"]) == len(nov)
    assert s["pareto"][-1]["cumulative"] == pytest.approx(1.0)
    qc = next(r for r in s["pareto"] if r["task_id"] == data["tasks"]["qc"].id)
    assert qc["complaints"] == 2 and qc["cause_key"] == "freshness|sku=SKU-1|batch=B1"

    # Departments via task evidence; the rest are unassigned.
    by_dept = {r["name"]: r["complaints"] for r in s["by_department"]}
    assert by_dept["品控"] == 2 and by_dept["物流"] == 2 and by_dept["客服"] == 1
    assert by_dept["(未关联任务)"] == len(nov) - 5

    # Trend: five months, the last is this one, October counted on its own bounds.
    trend = s["trend"]
    assert [t["label"] for t in trend] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert trend[-1]["complaints"] == len(nov) and trend[-1]["current"]
    october = [e for e in data["entries"].values()
               if dt.datetime(2026, 10, 1) <= e.occurred_at < dt.datetime(2026, 11, 1)]
    assert trend[-2]["complaints"] == len(october) == 2
    assert s["overview"]["complaints_change"] == pytest.approx((len(nov) - 2) / 2)

    # Tasks per department: opened/resolved/verified/reopened in November, overdue at its end.
    tasks = {d["code"]: d for d in s["tasks"]["departments"]}
    assert tasks["qc"]["opened"] == 1 and tasks["qc"]["resolved"] == 1 and tasks["qc"]["verified"] == 1
    assert tasks["qc"]["mean_hours_to_resolve"] == pytest.approx(48.0)
    assert tasks["logistics"]["overdue"] == 1 and tasks["logistics"]["reopened"] == 1
    assert tasks["rnd"]["opened"] == 0 and tasks["rnd"]["resolved"] == 0  # October's task
    opened_nov = dbsession.execute(select(func.count()).select_from(RootCauseTask).where(
        RootCauseTask.opened_at >= dt.datetime(2026, 11, 1), RootCauseTask.opened_at < dt.datetime(2026, 12, 1))
    ).scalar()
    assert s["tasks"]["total"]["opened"] == opened_nov == 3

    # Effectiveness: the two tasks verified in November, in verification order.
    eff = s["effectiveness"]
    assert [e["task_id"] for e in eff] == [data["tasks"]["qc"].id, data["tasks"]["cs_verified"].id]
    assert eff[0]["rate_before"] == 0.2 and eff[0]["rate_after"] == 0.05 and eff[0]["effective"] is True
    assert eff[0]["change"] == pytest.approx(-0.75) and eff[1]["effective"] is False

    # Reply coverage: approved and posted count, a draft does not, October's reply is not November's.
    rc = s["reply_coverage"]
    from_reviews = [e for e in nov if e.review_id is not None]
    assert rc["available"] and rc["total"]["complaints"] == len(from_reviews)
    assert rc["total"]["replied"] == 2
    assert rc["total"]["coverage"] == pytest.approx(2 / len(from_reviews), abs=1e-6)


def test_week_summary_compares_previous_weeks(dbsession, data):
    s = build_summary(dbsession, period_for("2026-11-02", "2026-11-08"))
    assert s["period"]["kind"] == "week"
    assert [t["label"] for t in s["trend"]] == ["2026-W41", "2026-W42", "2026-W43", "2026-W44", "2026-W45"]
    # Nov 2..8: fs_hyperlink, plus, minus, at
    assert s["overview"]["complaints"] == 4
    assert s["trend"][-2]["complaints"] == 1  # Oct 31 23:59:59 is in W44


def test_xlsx_has_a_sheet_per_section_native_charts_and_database_totals(dbsession, data, tmp_path):
    wb = _summary_file(dbsession, tmp_path)
    assert wb.sheetnames == list(SHEETS)
    nov = [e for e in data["entries"].values() if _in_nov(e)]

    overview = {row[0]: row[1] for row in wb["概览"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert overview["投诉总数"] == len(nov)
    assert overview["食品安全事件"] == sum(e.food_safety for e in nov)

    cat = wb["按类别"]
    assert _header(cat) == ["类别", "涉及投诉数", "主类别投诉数", "占投诉比例"]
    assert {r[0]: r[1] for r in _table(cat)}["新鲜度"] == sum(
        1 for e in nov for c in e.categories if c.category == "freshness")
    assert sum(r[2] for r in _table(wb["按SKU"])) == len(nov)
    assert sum(r[1] for r in _table(wb["按承运商"])) == len(nov)
    assert sum(r[3] for r in _table(wb["根因帕累托"])) == len(nov)
    assert len(_table(wb["趋势"])) == 5

    # Native charts (openpyxl reads them back as chart objects), not pictures.
    for name in ("按类别", "按SKU", "按承运商", "按仓库", "按部门", "根因帕累托", "趋势", "整改任务", "整改效果", "回复覆盖"):
        charts = wb[name]._charts
        assert charts, f"no chart on {name}"
        assert not wb[name]._images
    assert len(wb["趋势"]._charts) == 2
    # Pareto: a bar chart with the cumulative line on a secondary axis.
    pareto = wb["根因帕累托"]._charts[0]
    assert pareto.tagname == "barChart" and any(c.tagname == "lineChart" for c in pareto._charts)
    # A chart's series reference the sheet's cells.
    series = wb["按类别"]._charts[0].series[0]
    assert series.val.numRef.f == f"'按类别'!$B$4:$B${3 + len(_table(cat))}"
    assert series.tx.strRef.f == "'按类别'!B3"  # the header names the series

    # Tasks: the totals row adds up the departments.
    tasks = _table(wb["整改任务"])
    assert tasks[-1][0] == "合计" and tasks[-1][1] == sum(r[1] for r in tasks[:-1]) == 3


def test_food_safety_incidents_are_listed_one_by_one_and_neutralized(dbsession, data, tmp_path):
    wb = _summary_file(dbsession, tmp_path)
    rows = _table(wb["食品安全事件"])
    fs = sorted((e for e in data["entries"].values() if _in_nov(e) and e.food_safety), key=lambda e: e.occurred_at)
    assert [r[0] for r in rows] == [e.id for e in fs]
    texts = [r[14] for r in rows]
    assert texts == ["'" + HOSTILE_TEXTS[0], "'" + _xml(HOSTILE_TEXTS[5])]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {ws.title}!{cell.coordinate}: {cell.value!r}"


def test_hostile_texts_in_every_text_cell_of_the_xlsx_ledger(dbsession, data, tmp_path):
    path = tmp_path / "ledger.xlsx"
    write_export(dbsession, "ledger", "xlsx", NOV, path)
    ws = load_workbook(path)["中差评明细表"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    text_col = HEADERS.index("评价/售后内容")
    texts = [r[text_col] for r in rows[1:]]
    for hostile in HOSTILE_TEXTS:
        assert "'" + _xml(hostile) in texts
    assert EMOJI_TEXT in texts
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"


def test_ledger_csv_has_bom_every_field_emoji_and_neutralized_cells(dbsession, data, tmp_path):
    path = tmp_path / "ledger.csv"
    result = write_export(dbsession, "ledger", "csv", NOV, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    nov = sorted((e for e in data["entries"].values() if _in_nov(e)), key=lambda e: (e.occurred_at, e.id))
    assert rows[0] == HEADERS
    assert len(rows) - 1 == result["rows"] == len(nov)
    assert [int(r[0]) for r in rows[1:]] == [e.id for e in nov]  # ordered, every complaint once
    col = {h: i for i, h in enumerate(HEADERS)}
    texts = [r[col["评价/售后内容"]] for r in rows[1:]]
    assert texts == [("'" + t) if t.startswith(("=", "+", "-", "@", "\t", "\r")) else t
                     for t in (_text(dbsession, e) for e in nov)]
    assert EMOJI_TEXT in texts
    for r in rows[1:]:
        for value in r:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    first = rows[1]
    assert first[col["全部类别"]] == "新鲜度、质量" and first[col["食品安全"]] == "是"
    assert first[col["整改任务"]] == str(data["tasks"]["qc"].id) and first[col["评价解释"]] == "已批准"
    ticket_row = next(r for r in rows[1:] if r[col["来源"]] == "售后单")
    assert ticket_row[col["售后类型"]] == "退款"


def _text(session, e: LedgerEntry) -> str:
    from feedback.models import Review, Ticket

    if e.review_id is not None:
        return session.get(Review, e.review_id).text
    return session.get(Ticket, e.ticket_id).text


def test_same_period_twice_gives_the_same_numbers(dbsession, data, tmp_path):
    a = _summary_file(dbsession, tmp_path, "a.xlsx")
    b = _summary_file(dbsession, tmp_path, "b.xlsx")
    for name in SHEETS:
        assert list(a[name].iter_rows(values_only=True)) == list(b[name].iter_rows(values_only=True)), name
    write_export(dbsession, "ledger", "csv", NOV, tmp_path / "a.csv")
    write_export(dbsession, "ledger", "csv", NOV, tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert build_summary(dbsession, NOV) == build_summary(dbsession, NOV)


def test_empty_period_still_makes_a_complete_workbook(dbsession, tmp_path):
    wb = _summary_file(dbsession, tmp_path, period=month_of(dt.date(2030, 1, 1)))
    assert wb.sheetnames == list(SHEETS)
    overview = {row[0]: row[1] for row in wb["概览"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert overview["投诉总数"] == 0
