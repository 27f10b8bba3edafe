"""LedgerQuery: filters, keyset pagination, counts, rates per 1,000 orders, weekly trend."""
from __future__ import annotations

import datetime as dt

import pytest

from feedback.services.ledger import LedgerFilterError, LedgerFilters, LedgerQuery
from tests import factories as f

D = dt.datetime(2026, 11, 2, 9, 0)  # a Monday (2026-W45)


@pytest.fixture
def entries(dbsession):
    out = []
    for i in range(7):
        out.append(f.ledger_entry(dbsession, occurred_at=D + dt.timedelta(days=i), sku="A", batch_code="B1",
                                  categories=("freshness",), carrier="顺丰"))
    for i in range(3):
        out.append(f.ledger_entry(dbsession, occurred_at=D - dt.timedelta(days=7 - i), sku="B", carrier="中通",
                                  categories=("logistics", "quality"), food_safety=i == 0, near_expiry=True))
    out.append(f.ledger_entry(dbsession, occurred_at=D, sku="A", status="not_complaint"))
    return out


def test_filters_and_default_hides_not_complaint(dbsession, entries):
    q = LedgerQuery(dbsession)
    assert q.total(LedgerFilters()) == 10
    assert q.total(LedgerFilters(status="not_complaint")) == 1
    assert q.total(LedgerFilters(category="logistics")) == 3
    assert q.total(LedgerFilters(sku="A", carrier="顺丰")) == 7
    assert q.total(LedgerFilters(food_safety=True)) == 1
    assert q.total(LedgerFilters(near_expiry=True, sku="B")) == 3
    assert q.total(LedgerFilters(date_from=D.date(), date_to=D.date() + dt.timedelta(days=1))) == 2


def test_keyset_pagination_walks_everything_once(dbsession, entries):
    q = LedgerQuery(dbsession)
    seen, cursor = [], None
    while True:
        page = q.page(LedgerFilters(), after=cursor, limit=3)
        seen += [e.id for e in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 10
    times = [(e.occurred_at, e.id) for e in q.page(LedgerFilters(), limit=100).items]
    assert times == sorted(times, reverse=True)


def test_counts(dbsession, entries):
    q = LedgerQuery(dbsession)
    assert q.counts(LedgerFilters(), by="category") == [("freshness", 7), ("logistics", 3), ("quality", 3)]
    assert q.counts(LedgerFilters(), by="sku") == [("A", 7), ("B", 3)]
    # A category filter with counts by category: the co-occurring categories of those entries.
    assert q.counts(LedgerFilters(category="logistics"), by="category") == [("logistics", 3), ("quality", 3)]
    with pytest.raises(LedgerFilterError):
        q.counts(LedgerFilters(), by="nope")


def test_rates_per_thousand_orders_where_known(dbsession, entries):
    for _ in range(20):
        f.order(dbsession, sku="A", paid_at=D)
    rows = {r.key: r for r in LedgerQuery(dbsession).rates(LedgerFilters(), by="sku")}
    assert rows["A"].orders == 20 and rows["A"].per_1000 == 350.0
    assert rows["B"].orders is None and rows["B"].per_1000 is None


def test_week_over_week_trend(dbsession, entries):
    tl = LedgerQuery(dbsession).trend(LedgerFilters(), weeks=3, end=(D + dt.timedelta(days=7)).date())
    assert [p.week for p in LedgerQuery(dbsession).trend(LedgerFilters(), weeks=1)] == ["2026-W45"]
    assert [p.week for p in tl] == ["2026-W44", "2026-W45", "2026-W46"]
    assert [p.count for p in tl] == [3, 7, 0]
    assert tl[1].change == pytest.approx(4 / 3, abs=1e-3) and tl[2].change == -1.0
    by_cat = LedgerQuery(dbsession).trend_by_category(LedgerFilters(), weeks=2)
    assert set(by_cat) == {"freshness", "logistics", "quality"}


def test_from_params_parses_and_rejects(dbsession):
    fl = LedgerFilters.from_params({"category": "taste", "rating": "1", "food_safety": "true",
                                    "date_from": "2026-11-01", "sku": " ", "status": ""})
    assert (fl.category, fl.rating, fl.food_safety, fl.sku, fl.status) == ("taste", 1, True, None, None)
    assert LedgerFilters.from_params(fl.to_params()) == fl
    for bad in ({"category": "x"}, {"rating": "9"}, {"date_from": "11/01"}, {"food_safety": "maybe"},
                {"date_from": "2026-11-02", "date_to": "2026-11-01"}):
        with pytest.raises(LedgerFilterError):
            LedgerFilters.from_params(bad)
