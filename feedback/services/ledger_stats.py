"""Aggregates for the ledger page, written for speed at 200,000 entries on SQLite and PostgreSQL.

Same filters and results as LedgerQuery.counts / total / trend (feedback.services.ledger), from
two sources:

* **ledger_week_counts** (feedback.services.ledger_counts keeps it) when the filters are only a
  date range and/or a status — the default view, "all time", a month: the whole ISO weeks inside
  the range are summed from the table (a few thousand small rows for a year, whatever the number
  of entries); the partial weeks at either end of the range (at most 6 days each) are counted
  live and added;
* **live queries** over the entries for every other filter (category, SKU, carrier, platform,
  food safety, ...), which select few enough rows. Their plans:

  - group by ``coalesce(column, '')``: an expression, so SQLite cannot choose to walk the whole
    single-column index of the grouped column (it did, with table lookups for every row: 1.4 s);
    it reads the date range from the covering index ix_ledger_entries_stats instead;
  - the weekly trend reads only its own weeks (an occurred_at range on the same index, which also
    carries the week);
  - categories are counted from ``ledger_categories WHERE entry_id IN (the filtered ids)``,
    driven by the filtered entries, not by a scan of every category row joined back to its entry.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import LedgerCategory, LedgerEntry, LedgerWeekCount
from ..models.ledger import COUNTED_STATUSES, WEEK_COUNT_DIMENSIONS
from ..models.meta import shop_today
from .ledger import LedgerFilters, TrendPoint, iso_week, trend_points, week_start

DIMENSIONS = {"sku": LedgerEntry.sku, "carrier": LedgerEntry.carrier, "batch": LedgerEntry.batch_code,
              "warehouse": LedgerEntry.warehouse, "platform": LedgerEntry.platform}
# Filters the weekly table can answer; any other one set means a live query.
_TABLE_FILTERS = {"date_from", "date_to", "status"}


@dataclasses.dataclass
class _Split:
    """A date range cut into whole ISO weeks (read from the table) and partial ones (live)."""

    statuses: tuple[str, ...]
    first: str | None  # first whole week, None: from the beginning
    last: str | None  # last whole week, None: to the end
    whole_weeks: bool  # False: the range holds no whole week
    edges: list[LedgerFilters]  # the partial weeks, as filters for the live queries


def split(filters: LedgerFilters) -> _Split | None:
    """How the weekly table serves these filters, or None when it cannot."""
    if any(getattr(filters, f.name) is not None for f in dataclasses.fields(filters)
           if f.name not in _TABLE_FILTERS):
        return None
    statuses = (filters.status,) if filters.status else COUNTED_STATUSES
    start, end = filters.date_from, filters.date_to
    if start and end and week_start(iso_week(start)) == week_start(iso_week(end)) \
            and not (start.weekday() == 0 and end.weekday() == 6):
        return _Split(statuses, None, None, False, [filters])  # part of one week: all live
    first = last = None
    first_day = last_day = None
    edges = []
    if start:
        monday = start - dt.timedelta(days=start.weekday())
        first_day = monday if start == monday else monday + dt.timedelta(weeks=1)
        if start != monday:
            edges.append(dataclasses.replace(filters, date_from=start, date_to=monday + dt.timedelta(days=6)))
        first = iso_week(first_day)
    if end:
        monday = end - dt.timedelta(days=end.weekday())
        last_day = monday if end.weekday() == 6 else monday - dt.timedelta(weeks=1)
        if end.weekday() != 6:
            edges.append(dataclasses.replace(filters, date_from=monday, date_to=end))
        last = iso_week(last_day)
    whole = not (first_day and last_day and first_day > last_day)
    return _Split(statuses, first, last, whole, edges)


class LedgerStats:
    def __init__(self, session: Session, use_week_counts: bool = True):
        self.session = session
        self.use_week_counts = use_week_counts

    def _split(self, filters: LedgerFilters) -> _Split | None:
        return split(filters) if self.use_week_counts else None

    def _table(self, s: _Split, dim: str, by_week: bool = False) -> dict[str, int]:
        """{value or week: entries} summed over the whole weeks of ``s``."""
        if not s.whole_weeks:
            return {}
        t = LedgerWeekCount
        col = t.week if by_week else t.value
        stmt = (select(col, func.sum(t.entries)).where(t.dim == dim, t.status.in_(s.statuses))
                .group_by(col))
        if s.first:
            stmt = stmt.where(t.week >= s.first)
        if s.last:
            stmt = stmt.where(t.week <= s.last)
        return {k: int(n) for k, n in self.session.execute(stmt)}

    # -- counts by one dimension -------------------------------------------------------------

    def counts(self, filters: LedgerFilters, by: str, limit: int | None = 10) -> list[tuple[str | None, int]]:
        """[(value, complaints)], most first (ties by value); a missing value is reported as None."""
        s = self._split(filters) if by in WEEK_COUNT_DIMENSIONS and by != "all" else None
        if s is None:
            return self._live_counts(filters, by, limit)
        totals = collections.Counter(self._table(s, by))
        for edge in s.edges:
            totals.update({k or "": n for k, n in self._live_counts(edge, by, None)})
        rows = sorted(((k, n) for k, n in totals.items() if n > 0), key=lambda kn: (-kn[1], kn[0]))
        return [(k or None, n) for k, n in rows[:limit]]

    def _live_counts(self, filters: LedgerFilters, by: str, limit: int | None) -> list[tuple[str | None, int]]:
        if by == "category":
            ids = select(LedgerEntry.id).where(*filters.conditions())
            key = LedgerCategory.category
            stmt = select(key, func.count()).where(LedgerCategory.entry_id.in_(ids)).group_by(key)
        else:
            key = func.coalesce(DIMENSIONS[by], "")
            stmt = select(key, func.count()).where(*filters.conditions()).group_by(key)
        stmt = stmt.order_by(func.count().desc(), key)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [(k or None, n) for k, n in self.session.execute(stmt)]

    # -- total ------------------------------------------------------------------------------

    def total(self, filters: LedgerFilters) -> int:
        s = self._split(filters)
        if s is None:
            return self._live_total(filters)
        return sum(self._table(s, "all").values()) + sum(self._live_total(edge) for edge in s.edges)

    def _live_total(self, filters: LedgerFilters) -> int:
        return self.session.execute(select(func.count()).select_from(LedgerEntry)
                                    .where(*filters.conditions())).scalar_one()

    # -- weekly trend -----------------------------------------------------------------------

    def trend(self, filters: LedgerFilters, weeks: int = 12, end: dt.date | None = None) -> list[TrendPoint]:
        """Weekly counts for the ``weeks`` ISO weeks ending at ``end`` (default: the filter's date_to,
        else today), zero-filled, with the week-over-week change (as LedgerQuery.trend)."""
        end = end or filters.date_to or shop_today()
        last = week_start(iso_week(end))
        first = last - dt.timedelta(weeks=weeks - 1)
        labels = [iso_week(first + dt.timedelta(weeks=i)) for i in range(weeks)]
        window = dataclasses.replace(filters, date_from=max(filters.date_from or first, first),
                                     date_to=min(filters.date_to or end, last + dt.timedelta(days=6)))
        s = self._split(window)
        if s is None:
            counts = self._live_weeks(window)
        else:
            counts = collections.Counter(self._table(s, "all", by_week=True))
            for edge in s.edges:
                counts.update(self._live_weeks(edge))
        return trend_points(labels, counts)

    def _live_weeks(self, filters: LedgerFilters) -> dict[str, int]:
        return dict(self.session.execute(
            select(LedgerEntry.week, func.count()).where(*filters.conditions()).group_by(LedgerEntry.week)).all())
