"""The ledger page (中差评明细表): filters, counts, trend chart, keyset pages."""
from __future__ import annotations

import datetime as dt

from . import web_factories as wf


def _manager(testapp, dbsession):
    m = wf.user(dbsession, "manager")
    wf.login(testapp, m.username)


def test_counts_trend_and_rows(testapp, dbsession):
    _manager(testapp, dbsession)
    t = dt.datetime(2026, 6, 1, 10)
    for i in range(3):
        wf.complaint(dbsession, f"压坏了 {i}", categories=["logistics"], carrier="圆通", sku="SKU-L1",
                     occurred_at=t + dt.timedelta(days=7 * i))
    wf.complaint(dbsession, "<script>x</script>发霉", categories=["freshness"], carrier="顺丰", sku="SKU-L2",
                 occurred_at=t + dt.timedelta(days=14))
    page = testapp.get("/ledger", {"date_from": "2026-06-01", "date_to": "2026-06-30"})
    cat = page.html.select_one("#by-category").text
    assert "物流配送" in cat and "3" in cat and "新鲜度" in cat
    assert "SKU-L1" in page.html.select_one("#by-sku").text
    assert "圆通" in page.html.select_one("#by-carrier").text
    svg = page.html.select_one("svg.chart")
    assert svg is not None and len(svg.select("circle")) == 12
    assert "&lt;script&gt;x&lt;/script&gt;发霉" in page.text
    assert len(page.html.select("#ledger tbody tr")) == 4
    only = testapp.get("/ledger", {"carrier": "顺丰", "date_from": "2026-06-01", "date_to": "2026-06-30"})
    assert len(only.html.select("#ledger tbody tr")) == 1


def test_keyset_pages_and_bad_filters(testapp, dbsession):
    _manager(testapp, dbsession)
    t = dt.datetime(2026, 5, 1)
    for i in range(53):
        wf.complaint(dbsession, f"第{i}条", sku="SKU-LP", occurred_at=t + dt.timedelta(hours=i))
    first = testapp.get("/ledger", {"sku": "SKU-LP", "period": "all"})
    assert len(first.html.select("#ledger tbody tr")) == 50
    second = first.click(description="下一页", index=0)
    assert len(second.html.select("#ledger tbody tr")) == 3
    bad = testapp.get("/ledger", {"rating": "11"})
    assert "评分应为" in bad.text


def test_default_window_is_the_last_12_weeks(testapp, dbsession):
    _manager(testapp, dbsession)
    now = dt.datetime.now()
    recent = wf.complaint(dbsession, "最近的", sku="SKU-W", occurred_at=now - dt.timedelta(days=3))
    old = wf.complaint(dbsession, "很久以前的", sku="SKU-W", occurred_at=now - dt.timedelta(weeks=30))
    page = testapp.get("/ledger", {"sku": "SKU-W"})
    assert "最近的" in page.text and "很久以前的" not in page.text
    page = testapp.get("/ledger", {"sku": "SKU-W", "period": "all"})
    assert "最近的" in page.text and "很久以前的" in page.text
    assert recent.id and old.id


def test_category_filter_with_category_counts(testapp, dbsession):
    _manager(testapp, dbsession)
    wf.complaint(dbsession, "又慢又贵", categories=["logistics", "price"], sku="SKU-CC",
                 occurred_at=dt.datetime.now() - dt.timedelta(days=1))
    page = testapp.get("/ledger", {"category": "logistics", "sku": "SKU-CC"})
    assert len(page.html.select("#ledger tbody tr")) == 1
    cats = page.html.select_one("#by-category").text
    assert "物流配送" in cats and "价格" in cats  # the other categories of the filtered entries


def test_previous_page_link_walks_back(testapp, dbsession):
    _manager(testapp, dbsession)
    t = dt.datetime(2026, 4, 1)
    for i in range(120):
        wf.complaint(dbsession, f"第{i}条", sku="SKU-LB", occurred_at=t + dt.timedelta(hours=i // 3))  # ties
    def ids(page):
        return [a["href"] for a in page.html.select("#ledger tbody td.text a")]
    first = testapp.get("/ledger", {"sku": "SKU-LB", "period": "all"})
    assert not first.html.select("a[rel=prev]")
    second = first.click(description="下一页", index=0)
    third = second.click(description="下一页", index=0)
    assert len(ids(third)) == 20 and not third.html.select("a[rel=next]")
    back = third.click(description="上一页", index=0)
    assert ids(back) == ids(second) and back.html.select("a[rel=next]")
    again = back.click(description="上一页", index=0)
    assert ids(again) == ids(first) and not again.html.select("a[rel=prev]")
    assert "period=all" in again.request.url  # the filters travel with the cursor


def test_ledger_query_pages_backwards(dbsession):
    from feedback.services.ledger import LedgerFilters, LedgerQuery

    t = dt.datetime(2026, 4, 1)
    for i in range(23):
        wf.complaint(dbsession, f"第{i}条", sku="SKU-LQ", occurred_at=t + dt.timedelta(hours=i // 2))
    q, f = LedgerQuery(dbsession), LedgerFilters(sku="SKU-LQ")
    forward, page = [], q.page(f, limit=5)
    while True:
        forward.append([e.id for e in page.items])
        if not page.next_cursor:
            break
        page = q.page(f, after=page.next_cursor, limit=5)
    backward = [[e.id for e in page.items]]
    while page.prev_cursor:
        page = q.page(f, before=page.prev_cursor, limit=5)
        backward.append([e.id for e in page.items])
    assert [len(p) for p in forward] == [5, 5, 5, 5, 3] and backward == forward[::-1]


def test_taobao_levels_show_and_filter_where_there_are_no_stars(testapp, dbsession):
    """Taobao exports give 好评/中评/差评, no stars: the pages show the level and filter by it."""
    from feedback.models import LedgerEntry

    _manager(testapp, dbsession)
    t = dt.datetime(2026, 6, 1, 10)
    e = wf.complaint(dbsession, "发霉了", sku="SKU-TB", occurred_at=t, rating=None)
    entry = dbsession.get(LedgerEntry, e.id)
    entry.rating_stars, entry.rating_level = None, "bad"
    mid = wf.complaint(dbsession, "太慢", sku="SKU-TB", occurred_at=t, rating=3)
    dbsession.get(LedgerEntry, mid.id).rating_level = "neutral"
    dbsession.flush()
    page = testapp.get("/ledger", {"sku": "SKU-TB", "rating_level": "bad", "date_from": "2026-06-01",
                                   "date_to": "2026-06-30"})
    rows = page.html.select("#ledger tbody tr")
    assert len(rows) == 1 and "差评" in rows[0].text
    assert page.html.select_one("#l-level option[selected]")["value"] == "bad"
    assert "差评" in testapp.get(f"/entries/{e.id}").html.select_one("dl").text
