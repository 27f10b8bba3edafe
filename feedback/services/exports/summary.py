"""The root-cause summary of one period, computed with SQL aggregates.

Nothing here loads the period's rows: the period's complaints are copied (SQL-side) into a
temporary table once, and every section is a GROUP BY over it whose result has one row per
category, SKU, carrier, department or cause; only the food-safety incidents are listed one by
one, and those are streamed (`iter_food_safety`). Every query orders its rows completely (count,
then key), and uses only the period's own bounds, so the same period gives the same summary.

A complaint is a ledger entry whose status is one of COUNTED_STATUSES (not `not_complaint`, not
`unsure`), dated by `occurred_at`.
Rates are per 1,000 order lines paid in the same period (`orders.paid_at`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    and_,
    case,
    distinct,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from ...models import (
    Department,
    LedgerCategory,
    LedgerEntry,
    Order,
    Review,
    RootCauseTask,
    TaskEvent,
    TaskEvidence,
    Ticket,
)
from ...models.ledger import COUNTED_STATUSES
from .labels import CATEGORY_LABELS, PLATFORM_LABELS, TASK_STATUS_LABELS, UNASSIGNED, UNKNOWN, label
from .period import Period

try:  # the replies engineer's table; coverage degrades to "n/a" without it
    from ...models.replies import ReplyDraft
except ImportError:  # pragma: no cover - only before the replies module exists
    ReplyDraft = None

# The period's complaints, materialized per export (a TEMPORARY table: per connection, dropped after).
PERIOD_COMPLAINTS = Table(
    "export_period_complaints", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("review_id", Integer), Column("ticket_id", Integer), Column("platform", String(16)),
    Column("sku", String(100)), Column("product_name", String(300)), Column("batch_code", String(100)),
    Column("carrier", String(100)), Column("warehouse", String(100)), Column("primary_category", String(16)),
    Column("food_safety", Boolean), Column("near_expiry", Boolean), Column("rating_stars", SmallInteger),
    Column("rating_level", String(8)),
    prefixes=["TEMPORARY"],
)

TREND_PERIODS = 4  # previous periods compared against the current one
APPROVED_REPLY_STATUSES = ("approved", "posted")  # posted replies were approved first
ProgressFn = Callable[[int], None]


def _per_mille(count: int, orders: int) -> float | None:
    return round(count * 1000.0 / orders, 3) if orders else None


def _share(count: int, total: int) -> float | None:
    return round(count / total, 6) if total else None


def _change(current: float | None, before: float | None) -> float | None:
    if current is None or not before:
        return None
    return round((current - before) / before, 6)


class SummaryBuilder:
    """Queries for one period. `build()` returns a JSON-serializable dict (stored beside the XLSX
    so the web page shows exactly what the file holds)."""

    def __init__(self, session: Session, period: Period, trend_periods: int = TREND_PERIODS):
        self.session = session
        self.period = period
        self.trend_periods = trend_periods
        self.start, self.end = period.bounds
        self.dialect = session.get_bind().dialect.name
        self.T = PERIOD_COMPLAINTS
        self.E = PERIOD_COMPLAINTS.c
        self._orders_cache: list[tuple] | None = None
        self._current_categories: dict | None = None

    # -- helpers -----------------------------------------------------------------------------

    def _complaint_filter(self, start: dt.datetime | None = None, end: dt.datetime | None = None):
        start = start or self.start
        end = end or self.end
        return and_(
            LedgerEntry.occurred_at >= start,
            LedgerEntry.occurred_at < end,
            LedgerEntry.status.in_(COUNTED_STATUSES),
        )

    def _hours(self, later, earlier):
        if self.dialect == "postgresql":
            return func.extract("epoch", later - earlier) / 3600.0
        return (func.julianday(later) - func.julianday(earlier)) * 24.0

    def _scalar(self, stmt) -> int:
        return int(self.session.execute(stmt).scalar() or 0)

    def _order_groups(self) -> list[tuple]:
        """Order lines of the period by (sku, carrier, warehouse): one scan serves every rate."""
        if self._orders_cache is None:
            self._orders_cache = [tuple(r) for r in self.session.execute(
                select(Order.sku, Order.carrier, Order.warehouse, func.count())
                .where(Order.paid_at >= self.start, Order.paid_at < self.end)
                .group_by(Order.sku, Order.carrier, Order.warehouse)
            )]
        return self._orders_cache

    def _orders(self, start=None, end=None) -> int:
        if start is None or (start, end) == (self.start, self.end):
            return sum(int(r[3]) for r in self._order_groups())
        return self._scalar(select(func.count()).select_from(Order).where(Order.paid_at >= start, Order.paid_at < end))

    def _orders_by(self, column) -> dict:
        index = {"sku": 0, "carrier": 1, "warehouse": 2}[column.key]
        out: dict = {}
        for row in self._order_groups():
            out[row[index]] = out.get(row[index], 0) + int(row[3])
        return out

    def _current(self):
        """Rows of the period's complaint table are the period's complaints: no filter needed."""
        return true()

    def _materialize(self) -> None:
        """Copy the period's complaints (the columns the sections need) into a temporary table:
        one index range scan of the ledger, then every section scans a compact table instead of
        looking rows up again (SQL-side; nothing comes into Python)."""
        conn = self.session.connection()
        PERIOD_COMPLAINTS.drop(conn, checkfirst=True)
        PERIOD_COMPLAINTS.create(conn)
        e = LedgerEntry
        cols = [c.name for c in PERIOD_COMPLAINTS.columns]
        self.session.execute(PERIOD_COMPLAINTS.insert().from_select(
            cols, select(*[getattr(e, name) for name in cols]).where(self._complaint_filter())))
        if self.dialect == "postgresql":
            self.session.execute(text(f"ANALYZE {PERIOD_COMPLAINTS.name}"))

    def _drop(self) -> None:
        PERIOD_COMPLAINTS.drop(self.session.connection(), checkfirst=True)

    # -- sections ----------------------------------------------------------------------------

    def build(self, progress: ProgressFn | None = None) -> dict:
        steps = [
            ("overview", self.overview),
            ("by_category", self.by_category),
            ("by_sku", self.by_sku),
            ("by_carrier", lambda: self.by_dimension(self.E.carrier, Order.carrier)),
            ("by_warehouse", lambda: self.by_dimension(self.E.warehouse, Order.warehouse)),
            ("by_department", self.by_department),
            ("pareto", self.pareto),
            ("trend", self.trend),
            ("tasks", self.tasks),
            ("effectiveness", self.effectiveness),
            ("reply_coverage", self.reply_coverage),
            ("food_safety_count", self.food_safety_count),
        ]
        result: dict = {
            "period": {
                "kind": self.period.kind,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
                "label": self.period.label,
                "title": self.period.title,
            }
        }
        self._materialize()
        try:
            for i, (name, fn) in enumerate(steps, 1):
                result[name] = fn()
                if progress:
                    progress(int(i * 100 / len(steps)))
        finally:
            self._drop()
        # The overview repeats the headline figures of the other sections.
        ov = result["overview"]
        ov["reply_coverage"] = result["reply_coverage"]["total"]["coverage"]
        ov["tasks_opened"] = result["tasks"]["total"]["opened"]
        ov["tasks_resolved"] = result["tasks"]["total"]["resolved"]
        ov["tasks_verified"] = result["tasks"]["total"]["verified"]
        ov["tasks_overdue"] = result["tasks"]["total"]["overdue"]
        prev = result["trend"][-2] if len(result["trend"]) >= 2 else None
        ov["previous_complaints"] = prev["complaints"] if prev else None
        ov["complaints_change"] = _change(ov["complaints"], prev["complaints"] if prev else None)
        return result

    def overview(self) -> dict:
        e = self.E
        row = self.session.execute(
            select(
                func.count(),
                func.sum(case((e.food_safety.is_(True), 1), else_=0)),
                func.sum(case((e.near_expiry.is_(True), 1), else_=0)),
                func.count(distinct(e.sku)),
                func.sum(case((e.review_id.is_not(None), 1), else_=0)),
                func.sum(case((e.ticket_id.is_not(None), 1), else_=0)),
                # stars, or (Taobao gives none) the 差评/中评 level
                func.sum(case((and_(e.review_id.is_not(None), or_(
                    e.rating_stars <= 2, and_(e.rating_stars.is_(None), e.rating_level == "bad"))), 1), else_=0)),
                func.sum(case((and_(e.review_id.is_not(None), or_(
                    e.rating_stars == 3, and_(e.rating_stars.is_(None), e.rating_level == "neutral"))), 1), else_=0)),
            ).where(self._current())
        ).one()
        complaints = int(row[0] or 0)
        # count(*) over the reviewed_at index only (never the review rows themselves).
        reviews = self._scalar(select(func.count()).select_from(Review)
                               .where(Review.reviewed_at >= self.start, Review.reviewed_at < self.end))
        orders = self._orders()
        return {
            "complaints": complaints,
            "food_safety": int(row[1] or 0),
            "near_expiry": int(row[2] or 0),
            "skus": int(row[3] or 0),
            "from_reviews": int(row[4] or 0),
            "from_tickets": int(row[5] or 0),
            "reviews": reviews,
            "bad_rating_complaints": int(row[6] or 0),  # complaints from 1-2 star reviews (差评)
            "neutral_rating_complaints": int(row[7] or 0),  # from 3 star reviews (中评)
            "orders": orders,
            "rate_per_mille": _per_mille(complaints, orders),
        }

    def _total(self) -> int:
        return self._scalar(select(func.count()).select_from(self.T).where(self._current()))

    def by_category(self) -> list[dict]:
        """Per category: complaints mentioning it (multi-label) and complaints with it as primary."""
        total = self._total()
        mentioned = dict(self.session.execute(
            select(LedgerCategory.category, func.count())
            .join(self.T, self.E.id == LedgerCategory.entry_id)
            .where(self._current())
            .group_by(LedgerCategory.category)
        ).all())
        primary = self._primary_categories()
        codes = sorted(set(mentioned) | set(primary),
                       key=lambda c: (-int(mentioned.get(c, 0)), -int(primary.get(c, 0)), c))
        return [{
            "category": code,
            "label": label(CATEGORY_LABELS, code),
            "mentioned": int(mentioned.get(code, 0)),
            "primary": int(primary.get(code, 0)),
            "share": _share(int(mentioned.get(code, 0)), total),
        } for code in codes]

    def _primary_categories(self) -> dict:
        if self._current_categories is None:
            self._current_categories = {k: int(n) for k, n in self.session.execute(
                select(self.E.primary_category, func.count()).group_by(self.E.primary_category))}
        return self._current_categories

    def by_sku(self) -> list[dict]:
        e = self.E
        total = self._total()
        orders = self._orders_by(Order.sku)
        rows = self.session.execute(
            select(
                e.sku,
                func.max(e.product_name),
                func.count(),
                func.sum(case((e.food_safety.is_(True), 1), else_=0)),
                func.sum(case((e.near_expiry.is_(True), 1), else_=0)),
                func.count(distinct(e.batch_code)),
            )
            .where(self._current())
            .group_by(e.sku)
            .order_by(func.count().desc(), e.sku.asc().nulls_first())
        )
        out = []
        for sku, name, n, fs, ne, batches in rows:
            n = int(n)
            sku_orders = orders.get(sku or "", 0) if sku is not None else 0
            out.append({
                "sku": sku or UNKNOWN,
                "product_name": name or "",
                "complaints": n,
                "share": _share(n, total),
                "food_safety": int(fs or 0),
                "near_expiry": int(ne or 0),
                "batches": int(batches or 0),
                "orders": sku_orders,
                "rate_per_mille": _per_mille(n, sku_orders),
            })
        return out

    def by_dimension(self, column, order_column) -> list[dict]:
        """Complaints by carrier or by warehouse, with the logistics/freshness part and a rate."""
        e = self.E
        total = self._total()
        orders = self._orders_by(order_column)
        rows = self.session.execute(
            select(
                column,
                func.count(),
                func.sum(case((e.primary_category == "logistics", 1), else_=0)),
                func.sum(case((e.primary_category == "freshness", 1), else_=0)),
                func.sum(case((e.near_expiry.is_(True), 1), else_=0)),
                func.sum(case((e.food_safety.is_(True), 1), else_=0)),
            )
            .where(self._current())
            .group_by(column)
            .order_by(func.count().desc(), column.asc().nulls_first())
        )
        out = []
        for key, n, logistics, freshness, near_expiry, food_safety in rows:
            n = int(n)
            key_orders = orders.get(key, 0) if key is not None else 0
            out.append({
                "name": key or UNKNOWN,
                "complaints": n,
                "share": _share(n, total),
                "logistics": int(logistics or 0),
                "freshness": int(freshness or 0),
                "near_expiry": int(near_expiry or 0),
                "food_safety": int(food_safety or 0),
                "orders": key_orders,
                "rate_per_mille": _per_mille(n, key_orders),
            })
        return out

    def by_department(self) -> list[dict]:
        """Complaints attached (as task evidence) to a department's root-cause tasks. A complaint
        attached to tasks of two departments counts for both; the rest are 未关联任务."""
        e, te, t = self.E, TaskEvidence, RootCauseTask
        total = self._total()
        rows = self.session.execute(
            select(
                Department.code,
                Department.name,
                func.count(distinct(e.id)),
                func.count(distinct(case((e.food_safety.is_(True), e.id)))),
                func.count(distinct(t.id)),
            )
            .select_from(self.T)
            .join(te, te.ledger_entry_id == e.id)
            .join(t, t.id == te.task_id)
            .join(Department, Department.id == t.department_id)
            .where(self._current())
            .group_by(Department.id, Department.code, Department.name)
            .order_by(func.count(distinct(e.id)).desc(), Department.code)
        )
        out = [{
            "code": code, "name": name, "complaints": int(n), "share": _share(int(n), total),
            "food_safety": int(fs or 0), "tasks": int(tasks or 0),
        } for code, name, n, fs, tasks in rows]
        unassigned = self.session.execute(
            select(func.count(), func.sum(case((e.food_safety.is_(True), 1), else_=0)))
            .where(self._current(), ~exists().where(te.ledger_entry_id == e.id))
        ).one()
        if unassigned[0]:
            out.append({"code": "", "name": UNASSIGNED, "complaints": int(unassigned[0]),
                        "share": _share(int(unassigned[0]), total), "food_safety": int(unassigned[1] or 0),
                        "tasks": 0})
        return out

    def pareto(self) -> list[dict]:
        """Root causes by complaints, most first, with the cumulative share. A complaint's cause is
        the cause key of the (first) task it is evidence for; a complaint without a task counts
        under its primary category, so the shares add up to 100%."""
        e, te, t = self.E, TaskEvidence, RootCauseTask
        first_task = (
            select(te.ledger_entry_id.label("entry_id"), func.min(te.task_id).label("task_id"))
            .join(self.T, e.id == te.ledger_entry_id)
            .where(self._current())
            .group_by(te.ledger_entry_id)
            .subquery()
        )
        key = func.coalesce(t.cause_key, literal_column("'category:'", String) + e.primary_category)
        rows = self.session.execute(
            select(
                key.label("cause"),
                func.min(t.id),
                func.max(t.title),
                func.max(e.primary_category),
                func.count(),
            )
            .select_from(self.T)
            .outerjoin(first_task, first_task.c.entry_id == e.id)
            .outerjoin(t, t.id == first_task.c.task_id)
            .where(self._current())
            .group_by(key)
            .order_by(func.count().desc(), key)
        ).all()
        total = sum(int(r[4]) for r in rows)
        out, cumulative = [], 0
        for cause, task_id, title, category, n in rows:
            n = int(n)
            cumulative += n
            if task_id is None:
                name = f"{label(CATEGORY_LABELS, category)} {UNASSIGNED}"
            else:
                name = title or cause
            out.append({
                "cause_key": cause,
                "name": name,
                "task_id": task_id,
                "complaints": n,
                "share": _share(n, total),
                "cumulative": _share(cumulative, total),
            })
        return out

    def trend(self) -> list[dict]:
        """This period and the previous ones of the same kind, oldest first."""
        out = []
        for p in self.period.history(self.trend_periods):
            start, end = p.bounds
            if p == self.period:
                out.append(self._current_trend(p))
                continue
            e = LedgerEntry
            row = self.session.execute(
                select(
                    func.count(),
                    func.sum(case((e.food_safety.is_(True), 1), else_=0)),
                    func.sum(case((e.near_expiry.is_(True), 1), else_=0)),
                ).where(self._complaint_filter(start, end))
            ).one()
            categories = dict(self.session.execute(
                select(e.primary_category, func.count())
                .where(self._complaint_filter(start, end))
                .group_by(e.primary_category)
            ).all())
            reviews = self._scalar(
                select(func.count()).select_from(Review).where(Review.reviewed_at >= start, Review.reviewed_at < end)
            )
            orders = self._orders(start, end)
            complaints = int(row[0] or 0)
            out.append({
                "label": p.label,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "current": p == self.period,
                "complaints": complaints,
                "food_safety": int(row[1] or 0),
                "near_expiry": int(row[2] or 0),
                "reviews": reviews,
                "orders": orders,
                "rate_per_mille": _per_mille(complaints, orders),
                "categories": {code: int(categories.get(code, 0)) for code in CATEGORY_LABELS},
            })
        for before, current in zip(out, out[1:]):
            current["change"] = _change(current["complaints"], before["complaints"])
        if out:
            out[0]["change"] = None
        return out

    def _current_trend(self, p: Period) -> dict:
        e = self.E
        row = self.session.execute(select(
            func.count(),
            func.sum(case((e.food_safety.is_(True), 1), else_=0)),
            func.sum(case((e.near_expiry.is_(True), 1), else_=0)),
        )).one()
        categories = self._primary_categories()
        complaints, orders = int(row[0] or 0), self._orders()
        return {
            "label": p.label, "start": p.start.isoformat(), "end": p.end.isoformat(), "current": True,
            "complaints": complaints, "food_safety": int(row[1] or 0), "near_expiry": int(row[2] or 0),
            "reviews": self._scalar(select(func.count()).select_from(Review)
                                    .where(Review.reviewed_at >= self.start, Review.reviewed_at < self.end)),
            "orders": orders, "rate_per_mille": _per_mille(complaints, orders),
            "categories": {code: int(categories.get(code, 0)) for code in CATEGORY_LABELS},
        }

    def tasks(self) -> dict:
        """Root-cause tasks per department: opened, resolved, verified and reopened in the period,
        overdue at its end (SLA passed, not resolved by then), mean hours to resolve."""
        t = RootCauseTask
        start, end = self.start, self.end
        hours = self._hours(t.resolved_at, t.opened_at)
        resolved_in = and_(t.resolved_at >= start, t.resolved_at < end)
        counts = self.session.execute(
            select(
                t.department_id,
                func.sum(case((and_(t.opened_at >= start, t.opened_at < end), 1), else_=0)),
                func.sum(case((resolved_in, 1), else_=0)),
                func.sum(case((and_(t.verified_at >= start, t.verified_at < end), 1), else_=0)),
                func.sum(case((and_(
                    t.sla_due_at < end,
                    t.opened_at < end,
                    or_(t.resolved_at.is_(None), t.resolved_at >= end),
                ), 1), else_=0)),
                func.sum(case((resolved_in, hours))),
                func.sum(case((and_(resolved_in, or_(t.sla_due_at.is_(None), t.resolved_at <= t.sla_due_at)), 1),
                              else_=0)),
                func.sum(case((and_(t.food_safety.is_(True), t.opened_at >= start, t.opened_at < end), 1),
                              else_=0)),
            ).group_by(t.department_id)
        )
        by_dept = {row[0]: row[1:] for row in counts}
        reopened = dict(self.session.execute(
            select(t.department_id, func.count())
            .join(TaskEvent, TaskEvent.task_id == t.id)
            .where(TaskEvent.to_status == "reopened", TaskEvent.created_at >= start, TaskEvent.created_at < end)
            .group_by(t.department_id)
        ).all())
        status_now = self.session.execute(
            select(t.department_id, t.status, func.count())
            .where(t.opened_at < end)
            .group_by(t.department_id, t.status)
        ).all()
        departments = self.session.execute(select(Department.id, Department.code, Department.name)
                                           .order_by(Department.id)).all()
        rows, totals = [], {"opened": 0, "resolved": 0, "verified": 0, "reopened": 0, "overdue": 0,
                            "hours_sum": 0.0, "on_time": 0, "food_safety_opened": 0}
        for dept_id, code, name in departments:
            opened, resolved, verified, overdue, hours_sum, on_time, fs = by_dept.get(dept_id, (0,) * 7)
            row = {
                "code": code, "name": name,
                "opened": int(opened or 0), "resolved": int(resolved or 0), "verified": int(verified or 0),
                "reopened": int(reopened.get(dept_id, 0)), "overdue": int(overdue or 0),
                "food_safety_opened": int(fs or 0),
                "mean_hours_to_resolve": round(float(hours_sum) / int(resolved), 2) if resolved else None,
                "on_time_share": _share(int(on_time or 0), int(resolved or 0)),
            }
            rows.append(row)
            for k in ("opened", "resolved", "verified", "reopened", "overdue", "food_safety_opened"):
                totals[k] += row[k]
            totals["hours_sum"] += float(hours_sum or 0)
            totals["on_time"] += int(on_time or 0)
        totals["mean_hours_to_resolve"] = (round(totals["hours_sum"] / totals["resolved"], 2)
                                           if totals["resolved"] else None)
        totals["on_time_share"] = _share(totals["on_time"], totals["resolved"])
        del totals["hours_sum"], totals["on_time"]
        names = {d[0]: d[2] for d in departments}
        status = [{"department": names.get(d, UNKNOWN), "status": s,
                   "status_label": label(TASK_STATUS_LABELS, s), "count": int(n)}
                  for d, s, n in sorted(status_now, key=lambda r: (r[0], r[1]))]
        return {"departments": rows, "total": totals, "status": status}

    def effectiveness(self) -> list[dict]:
        """Each task verified in the period: complaint rate of its cause before and after the fix."""
        t = RootCauseTask
        rows = self.session.execute(
            select(t.id, Department.name, t.category, t.cause_key, t.title, t.opened_at, t.resolved_at,
                   t.verified_at, t.rate_before, t.rate_after, t.complaint_count, t.food_safety)
            .join(Department, Department.id == t.department_id)
            .where(t.verified_at >= self.start, t.verified_at < self.end)
            .order_by(t.verified_at, t.id)
        )
        out = []
        for (task_id, dept, category, cause, title, opened, resolved, verified, before, after,
             complaints, fs) in rows:
            change = _change(after, before) if before is not None and after is not None else None
            out.append({
                "task_id": task_id, "department": dept, "category": category,
                "category_label": label(CATEGORY_LABELS, category), "cause_key": cause, "title": title,
                "opened_at": opened.isoformat(sep=" ") if opened else None,
                "resolved_at": resolved.isoformat(sep=" ") if resolved else None,
                "verified_at": verified.isoformat(sep=" ") if verified else None,
                "rate_before": before, "rate_after": after, "change": change,
                "effective": (after < before) if before is not None and after is not None else None,
                "complaints": int(complaints or 0), "food_safety": bool(fs),
            })
        return out

    def reply_coverage(self) -> dict:
        """Complaints from reviews that have an approved (or since posted) 评价解释, per platform."""
        e = self.E
        base = and_(self._current(), e.review_id.is_not(None))
        if ReplyDraft is None:
            rows = self.session.execute(
                select(e.platform, func.count()).where(base).group_by(e.platform).order_by(e.platform)
            ).all()
            rows = [(p, n, 0) for p, n in rows]
            available = False
        else:
            approved = exists().where(ReplyDraft.review_id == e.review_id,
                                      ReplyDraft.status.in_(APPROVED_REPLY_STATUSES))
            rows = self.session.execute(
                select(e.platform, func.count(), func.sum(case((approved, 1), else_=0)))
                .where(base).group_by(e.platform).order_by(e.platform)
            ).all()
            available = True
        platforms, total_n, total_r = [], 0, 0
        for platform, n, replied in rows:
            n, replied = int(n), int(replied or 0)
            total_n += n
            total_r += replied
            platforms.append({"platform": platform, "label": label(PLATFORM_LABELS, platform),
                              "complaints": n, "replied": replied,
                              "coverage": _share(replied, n) if available else None})
        return {
            "available": available,
            "platforms": platforms,
            "total": {"complaints": total_n, "replied": total_r,
                      "coverage": _share(total_r, total_n) if available else None},
        }

    def food_safety_count(self) -> int:
        return self._scalar(select(func.count()).select_from(self.T)
                            .where(self._current(), self.E.food_safety.is_(True)))


# -- food-safety incidents, streamed -----------------------------------------------------------

FOOD_SAFETY_COLUMNS = [
    ("entry_id", "台账编号"), ("occurred_at", "发生时间"), ("platform", "平台"), ("source", "来源"),
    ("sku", "SKU"), ("product_name", "商品名称"), ("batch_code", "批次"), ("production_date", "生产日期"),
    ("expiry_date", "到期日期"), ("warehouse", "仓库"), ("carrier", "承运商"), ("region", "地区"),
    ("rating_stars", "星级"), ("category", "主类别"), ("text", "评价/售后内容"), ("status", "台账状态"),
    ("task_id", "整改任务"), ("task_status", "任务状态"),
]


def iter_food_safety(session: Session, period: Period, chunk: int = 1000) -> Iterator[dict]:
    """Every food-safety complaint of the period, oldest first, with its text and task."""
    from .labels import LEDGER_STATUS_LABELS

    start, end = period.bounds
    e, te, t = LedgerEntry, TaskEvidence, RootCauseTask
    first_task = (
        select(te.ledger_entry_id.label("entry_id"), func.min(te.task_id).label("task_id"))
        .group_by(te.ledger_entry_id).subquery()
    )
    stmt = (
        select(e.id, e.occurred_at, e.platform, e.review_id, e.sku, e.product_name, e.batch_code,
               e.production_date, e.expiry_date, e.warehouse, e.carrier, e.region, e.rating_stars,
               e.primary_category, func.coalesce(Review.text, Ticket.text), e.status, t.id, t.status)
        .outerjoin(Review, Review.id == e.review_id)
        .outerjoin(Ticket, Ticket.id == e.ticket_id)
        .outerjoin(first_task, first_task.c.entry_id == e.id)
        .outerjoin(t, t.id == first_task.c.task_id)
        .where(e.occurred_at >= start, e.occurred_at < end, e.status.in_(COUNTED_STATUSES), e.food_safety.is_(True))
        .order_by(e.occurred_at, e.id)
        .execution_options(yield_per=chunk)
    )
    for row in session.execute(stmt):
        (entry_id, occurred, platform, review_id, sku, name, batch, prod, exp, wh, carrier, region, stars,
         category, text, status, task_id, task_status) = row
        yield {
            "entry_id": entry_id, "occurred_at": occurred, "platform": label(PLATFORM_LABELS, platform),
            "source": "评价" if review_id is not None else "售后单", "sku": sku, "product_name": name,
            "batch_code": batch, "production_date": prod, "expiry_date": exp, "warehouse": wh,
            "carrier": carrier, "region": region, "rating_stars": stars,
            "category": label(CATEGORY_LABELS, category), "text": text or "",
            "status": label(LEDGER_STATUS_LABELS, status), "task_id": task_id,
            "task_status": label(TASK_STATUS_LABELS, task_status) if task_status else "",
        }


def build_summary(session: Session, period: Period, progress: ProgressFn | None = None,
                  trend_periods: int = TREND_PERIODS) -> dict:
    return SummaryBuilder(session, period, trend_periods).build(progress)
