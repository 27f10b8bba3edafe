"""Aggregates for the ledger page, written for speed at 200,000 entries on SQLite and PostgreSQL.

Same filters and results as LedgerQuery.counts (feedback.services.ledger), with two changes that
decide the query plan:

* group by ``coalesce(column, '')``: an expression, so SQLite cannot choose to walk the whole
  single-column index of the grouped column (it did, with table lookups for every row: 1.4 s);
  it reads the date range from the covering index ix_ledger_entries_stats instead;
* categories are counted from ``ledger_categories WHERE entry_id IN (the filtered ids)``, driven
  by the filtered entries, not by a scan of every category row joined back to its entry.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import LedgerCategory, LedgerEntry
from .ledger import LedgerFilters

DIMENSIONS = {"sku": LedgerEntry.sku, "carrier": LedgerEntry.carrier, "batch": LedgerEntry.batch_code,
              "warehouse": LedgerEntry.warehouse, "platform": LedgerEntry.platform}


class LedgerStats:
    def __init__(self, session: Session):
        self.session = session

    def counts(self, filters: LedgerFilters, by: str, limit: int = 10) -> list[tuple[str | None, int]]:
        """[(value, complaints)], most first; a missing value is reported as None."""
        if by == "category":
            ids = select(LedgerEntry.id).where(*filters.conditions())
            key = LedgerCategory.category
            stmt = select(key, func.count()).where(LedgerCategory.entry_id.in_(ids)).group_by(key)
        else:
            key = func.coalesce(DIMENSIONS[by], "")
            stmt = select(key, func.count()).where(*filters.conditions()).group_by(key)
        stmt = stmt.order_by(func.count().desc(), key).limit(limit)
        return [(k or None, n) for k, n in self.session.execute(stmt)]
