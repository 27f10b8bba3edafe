"""Weekly ledger counts (table ledger_week_counts): kept in step with the ledger entries.

The ledger page counts entries by category, SKU and carrier and draws a weekly trend; over the
whole history that is a pass over every entry per count (measured: 450–850 ms at 200,000 entries,
bench/ledger_profile.py). The table holds, per ISO week, status, dimension (``all``, ``category``,
``sku``, ``carrier``, ``warehouse``, ``platform``) and value, how many entries there are, so those
counts read a few thousand small rows instead.

Invariant: the table equals ``expected_rows(session)`` (a GROUP BY over ledger_entries and
ledger_categories), rows of 0 aside. Every code path that changes entries keeps it, in its own
transaction, with a tracker around the change::

    tracker = CountTracker(session, LedgerEntry.id.in_(ids))   # locks the rows, counts them
    ... update / insert / delete entries and their categories (ORM or bulk SQL) ...
    tracker.finish()          # flushes, counts the same rows again, applies the difference

The tracked set is a SQL condition evaluated before and after, so entries created in between
(``LedgerEntry.review_id.in_(ids)``) are counted too. The "before" read locks the rows
(``FOR UPDATE`` on PostgreSQL; SQLite writers hold the database lock), so two transactions
changing the same entry cannot both subtract its old contribution. Deltas are applied in key
order (no deadlocks between writers on the shared rows).

Writers today: LedgerBuilder.sync (the pipeline and the ``update_ledger`` job) and
TriageService (corrections, bulk confirm / not a complaint). Anything that writes ledger rows
another way (a script, a benchmark's seed) calls ``rebuild(session)`` afterwards;
``feedback ledger recount [--check]`` does that from the shell.
"""
from __future__ import annotations

import collections
from collections.abc import Iterable

from sqlalchemy import delete, func, literal, select, text, union_all
from sqlalchemy.orm import Session

from ..models import LedgerCategory, LedgerEntry, LedgerWeekCount

Key = tuple[str, str, str, str]  # (dim, status, week, value)

# dimension -> ledger column (``all`` and ``category`` are special)
COLUMNS = {
    "sku": LedgerEntry.sku,
    "carrier": LedgerEntry.carrier,
    "warehouse": LedgerEntry.warehouse,
    "platform": LedgerEntry.platform,
}
_CHUNK = 500


def _contributions(session: Session, condition, lock: bool = False) -> collections.Counter:
    """Counter {(dim, status, week, value): n} of the entries matching ``condition``."""
    out: collections.Counter = collections.Counter()
    cols = [LedgerEntry.status, LedgerEntry.week] + list(COLUMNS.values())
    stmt = select(*cols).where(condition).order_by(LedgerEntry.id)
    if lock:
        stmt = stmt.with_for_update()
    for row in session.execute(stmt):
        status, week = row[0], row[1]
        out[("all", status, week, "")] += 1
        for dim, value in zip(COLUMNS, row[2:], strict=True):
            out[(dim, status, week, value or "")] += 1
    stmt = (select(LedgerEntry.status, LedgerEntry.week, LedgerCategory.category)
            .join(LedgerEntry, LedgerEntry.id == LedgerCategory.entry_id).where(condition))
    for status, week, category in session.execute(stmt):
        out[("category", status, week, category)] += 1
    return out


def apply_delta(session: Session, delta: dict[Key, int]) -> None:
    """Add ``delta`` to the table (upsert per key, in key order)."""
    rows = [{"dim": k[0], "status": k[1], "week": k[2], "value": k[3], "entries": n}
            for k, n in sorted(delta.items()) if n]
    if not rows:
        return
    table = LedgerWeekCount.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert  # noqa: PLC0415
    else:
        from sqlalchemy.dialects.sqlite import insert  # noqa: PLC0415
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.dim, table.c.status, table.c.week, table.c.value],
                                      set_={"entries": table.c.entries + stmt.excluded.entries})
    for lo in range(0, len(rows), _CHUNK):
        session.execute(stmt, rows[lo:lo + _CHUNK])


class CountTracker:
    """Counts the entries matching ``condition`` now and again at ``finish()``; applies the change."""

    def __init__(self, session: Session, condition):
        self.session = session
        self.condition = condition
        session.flush()  # pending ORM changes belong to "before"
        self.before = _contributions(session, condition, lock=True)

    def finish(self) -> None:
        self.session.flush()
        after = _contributions(self.session, self.condition)
        delta = collections.Counter(after)
        delta.subtract(self.before)
        apply_delta(self.session, delta)
        self.before = after  # finish() twice adds nothing


def track_ids(session: Session, entry_ids: Iterable[int]) -> CountTracker:
    return CountTracker(session, LedgerEntry.id.in_(sorted(set(entry_ids))))


# -- rebuilding and checking -------------------------------------------------------------------

def _expected_select():
    """One SELECT (dim, status, week, value, entries) over the whole ledger: the table's definition."""
    e = LedgerEntry
    parts = [select(literal("all").label("dim"), e.status, e.week, literal("").label("value"),
                    func.count().label("entries")).group_by(e.status, e.week)]
    for dim, col in COLUMNS.items():
        value = func.coalesce(col, "")
        parts.append(select(literal(dim), e.status, e.week, value, func.count()).group_by(e.status, e.week, value))
    parts.append(select(literal("category"), e.status, e.week, LedgerCategory.category, func.count())
                 .join(e, e.id == LedgerCategory.entry_id).group_by(e.status, e.week, LedgerCategory.category))
    return union_all(*parts)


def expected_rows(session: Session) -> dict[Key, int]:
    return {(d, s, w, v): n for d, s, w, v, n in session.execute(_expected_select())}


def stored_rows(session: Session) -> dict[Key, int]:
    t = LedgerWeekCount
    return {(d, s, w, v): n for d, s, w, v, n in session.execute(
        select(t.dim, t.status, t.week, t.value, t.entries).where(t.entries != 0))}


def differences(session: Session) -> list[tuple[Key, int, int]]:
    """[(key, stored, expected)] where the table disagrees with the ledger; [] when consistent."""
    stored, expected = stored_rows(session), expected_rows(session)
    return sorted((k, stored.get(k, 0), expected.get(k, 0)) for k in set(stored) | set(expected)
                  if stored.get(k, 0) != expected.get(k, 0))


def rebuild(session: Session) -> int:
    """Recompute the whole table from the ledger (one INSERT … SELECT); returns the rows written.
    Writers wait meanwhile: SQLite has one writer at a time; on PostgreSQL the ledger tables are
    locked in SHARE mode (reads go on; a writer's tracker then applies its delta on top)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE ledger_entries, ledger_categories IN SHARE MODE"))
    session.execute(delete(LedgerWeekCount))
    t = LedgerWeekCount.__table__
    result = session.execute(t.insert().from_select(["dim", "status", "week", "value", "entries"], _expected_select()))
    return result.rowcount
