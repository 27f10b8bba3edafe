"""Root-cause grouping: complaints that share a cause become one task, routed to a department.

Cause key = category + the strongest attribute of the complaint:
  freshness / quality / taste -> SKU + batch   (a production problem)
  logistics                   -> carrier + warehouse + region
  service / price / other     -> shop (platform + shop)
  food_safety (fast lane)     -> SKU + batch, whatever the category
e.g. ``freshness|batch_code=B240301;sku=ZZ-01``. The recurring key phrases of the evidence
(phrases seen in at least two complaints of the group) are kept on the task (``key_phrases``) and in
its title; they describe the group rather than split it, so a threshold of 3 is reached by three
complaints about the same batch even when buyers word them differently.

A task opens when a group passes the threshold (``feedback.group_threshold`` complaints within
``feedback.group_window_days`` days, any window containing the new complaint, so out-of-order
imports still group) or spikes (this week's count >= ``spike_factor`` x the trailing
``trailing_weeks`` weekly average). Later matching complaints attach to the active task as
evidence. ``root_cause_tasks.active_cause_key`` is unique: one active task per cause is a database
guarantee, and a concurrent second opener falls back to attaching.

The thresholds count incidents: a review and a ticket of one order (a 差评 and its refund) are one.
Food-safety complaints open (or escalate) a QC task at once, severity critical, shortest SLA.
"""
from __future__ import annotations

import bisect
import collections
import dataclasses
import datetime as dt
from collections.abc import Callable

from sqlalchemy import exists, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import (
    Classification,
    Department,
    LedgerCategory,
    LedgerEntry,
    Review,
    RootCauseTask,
    RoutingRule,
    TaskEvent,
    TaskEvidence,
    Ticket,
    User,
)
from ..models.catalog import order_system
from ..models.ledger import COUNTED_STATUSES
from ..models.meta import utcnow
from .departments import DEFAULT_ROUTES, ensure_departments
from .notifications import queue_task_notifications
from .workflow_config import WorkflowConfig

PRODUCT_CATEGORIES = ("freshness", "quality", "taste")
FOOD_SAFETY = "food_safety"
CATEGORY_NAMES = {
    "taste": "口味", "freshness": "新鲜度", "logistics": "物流", "quality": "品质",
    "service": "服务", "price": "价格", "other": "其他", FOOD_SAFETY: "食品安全",
}
ATTR_NAMES = {"sku": "SKU", "batch_code": "批次", "carrier": "快递", "warehouse": "仓库",
              "region": "地区", "platform": "平台", "shop_id": "店铺"}
_ATTR_COLUMNS = {
    "sku": LedgerEntry.sku, "batch_code": LedgerEntry.batch_code, "carrier": LedgerEntry.carrier,
    "warehouse": LedgerEntry.warehouse, "region": LedgerEntry.region,
    "platform": LedgerEntry.platform, "shop_id": LedgerEntry.shop_id,
}
SEVERITY_RANK = {"critical": 0, "high": 1, "normal": 2, "low": 3}


@dataclasses.dataclass(frozen=True)
class Cause:
    category: str  # one of CATEGORIES, or "food_safety"
    attrs: tuple  # ((name, value), ...) sorted by name; value None means "unknown"

    @property
    def key(self) -> str:
        return self.category + "|" + ";".join(f"{k}={'' if v is None else v}" for k, v in self.attrs)

    @property
    def attributes(self) -> dict:
        return dict(self.attrs)

    def describe(self) -> str:
        parts = [f"{ATTR_NAMES.get(k, k)} {v}" for k, v in self.attrs if v not in (None, "")]
        return f"{CATEGORY_NAMES.get(self.category, self.category)}问题：" + ("，".join(parts) or "未知来源")

    def conditions(self) -> list:
        """SQL conditions selecting the ledger entries of this cause (complaints only)."""
        c = [LedgerEntry.status.in_(COUNTED_STATUSES)]
        if self.category == FOOD_SAFETY:
            c.append(LedgerEntry.food_safety.is_(True))
        else:
            c.append(exists().where(LedgerCategory.entry_id == LedgerEntry.id,
                                    LedgerCategory.category == self.category))
        for name, value in self.attrs:
            col = _ATTR_COLUMNS[name]
            c.append(col.is_(None) if value is None else col == value)
        return c

    @classmethod
    def from_task(cls, task: RootCauseTask) -> Cause:
        """The cause a grouped task stands for. A hand-assigned task (``is_manual``) has none: its
        entries were picked by a manager, so callers count its evidence instead."""
        attrs = {k: v for k, v in (task.attributes or {}).items() if k in _ATTR_COLUMNS}
        return cls(task.category, tuple(sorted(attrs.items())))


#: cause keys of the tasks a manager fills by hand from triage ("分派给部门")
MANUAL_CAUSE_PREFIX = "manual:"


def is_manual(task: RootCauseTask) -> bool:
    return task.cause_key.startswith(MANUAL_CAUSE_PREFIX)


def attach_evidence(session: Session, task: RootCauseTask, entry_ids, user: User,
                    describe: Callable[[int], str]) -> int:
    """Attach these ledger entries to a task (those it has not yet), count them in, and record one
    event, ``describe(how many)``, when any was new. Returns how many were new."""
    ids = sorted(set(entry_ids))
    present = set(session.scalars(select(TaskEvidence.ledger_entry_id).where(
        TaskEvidence.task_id == task.id, TaskEvidence.ledger_entry_id.in_(ids))))
    new = [i for i in ids if i not in present]
    if new:
        now = utcnow()
        session.execute(insert(TaskEvidence), [{"task_id": task.id, "ledger_entry_id": i, "attached_at": now}
                                               for i in new])
        task.complaint_count = (task.complaint_count or 0) + len(new)
        session.add(TaskEvent(task_id=task.id, user_id=user.id, actor=user.username, from_status=task.status,
                              to_status=task.status, comment=describe(len(new)), created_at=now))
        session.flush()
    return len(new)


def open_manual_task(session: Session, dept: Department, user: User) -> RootCauseTask:
    """The active hand-assigned task of this department, created on first use."""
    key = MANUAL_CAUSE_PREFIX + dept.code
    task = session.execute(select(RootCauseTask).where(RootCauseTask.active_cause_key == key)).scalar_one_or_none()
    if task is None:
        task = RootCauseTask(cause_key=key, active_cause_key=key, category="other", department_id=dept.id,
                             title=f"人工分派：{dept.name}", status="open", severity="normal",
                             attributes={"assigned_by": user.username},
                             sla_due_at=utcnow() + dt.timedelta(days=3))
        session.add(task)
        session.flush()
        session.add(TaskEvent(task_id=task.id, user_id=user.id, actor=user.username,
                              from_status=None, to_status="open", comment="评价经理人工分派"))
    return task


def task_conditions(task: RootCauseTask) -> list:
    """SQL conditions selecting the complaints a task is about: its cause's, or for a hand-assigned
    task the entries attached to it."""
    if is_manual(task):
        return [LedgerEntry.status.in_(COUNTED_STATUSES),
                exists().where(TaskEvidence.task_id == task.id, TaskEvidence.ledger_entry_id == LedgerEntry.id)]
    return Cause.from_task(task).conditions()


def _cause(category: str, **attrs) -> Cause:
    return Cause(category, tuple(sorted(attrs.items())))


def cause_of(entry: LedgerEntry, category: str) -> Cause:
    if category in PRODUCT_CATEGORIES and entry.sku:
        return _cause(category, sku=entry.sku, batch_code=entry.batch_code)
    if category == "logistics" and (entry.carrier or entry.warehouse):
        return _cause(category, carrier=entry.carrier, warehouse=entry.warehouse, region=entry.region)
    return _cause(category, platform=entry.platform, shop_id=entry.shop_id)


def food_safety_cause(entry: LedgerEntry) -> Cause:
    if entry.sku:
        return _cause(FOOD_SAFETY, sku=entry.sku, batch_code=entry.batch_code)
    return _cause(FOOD_SAFETY, platform=entry.platform, shop_id=entry.shop_id)


# -- routing -----------------------------------------------------------------------------------

def route(session: Session, category: str, sku: str | None = None, carrier: str | None = None,
          warehouse: str | None = None) -> Department:
    """The owning department: among active rules for the category whose sku/carrier/warehouse are
    empty or equal, the most specific wins (most filled fields), then the lowest priority number,
    then the oldest rule. Without any rule: the default table (food safety -> QC)."""
    rules = session.execute(
        select(RoutingRule).where(RoutingRule.active.is_(True), RoutingRule.category == category)
    ).scalars().all()
    best, best_rank = None, None
    for r in rules:
        if (r.sku and r.sku != sku) or (r.carrier and r.carrier != carrier) or (r.warehouse and r.warehouse != warehouse):
            continue
        specificity = sum(1 for v in (r.sku, r.carrier, r.warehouse) if v)
        rank = (-specificity, r.priority, r.id)
        if best_rank is None or rank < best_rank:
            best, best_rank = r, rank
    if best is not None:
        return best.department
    code = "qc" if category == FOOD_SAFETY else DEFAULT_ROUTES.get(category, "cs")
    found = session.execute(select(Department).where(Department.code == code)).scalar_one_or_none()
    if found is not None:
        return found
    try:
        with session.begin_nested():  # two workers may seed the defaults at the same moment
            return ensure_departments(session)[code]
    except IntegrityError:
        return session.execute(select(Department).where(Department.code == code)).scalar_one()


# -- grouping ----------------------------------------------------------------------------------

def system_event(session: Session, task: RootCauseTask, to_status: str | None, comment: str,
                 from_status: str | None = None) -> TaskEvent:
    ev = TaskEvent(task_id=task.id, user_id=None, actor="system", from_status=from_status,
                   to_status=to_status, comment=comment, created_at=utcnow())
    session.add(ev)
    return ev


@dataclasses.dataclass
class GroupingResult:
    opened: list[int] = dataclasses.field(default_factory=list)
    attached: int = 0
    escalated: list[int] = dataclasses.field(default_factory=list)
    reopened: list[int] = dataclasses.field(default_factory=list)
    notification_ids: list[int] = dataclasses.field(default_factory=list)


class Grouper:
    """Runs inside the pipeline's transaction; idempotent (evidence is keyed by task+entry)."""

    def __init__(self, session: Session, config: WorkflowConfig | None = None, now: dt.datetime | None = None):
        self.session = session
        self.config = config or WorkflowConfig()
        self.now = now
        self.result = GroupingResult()
        self._phrases: dict[int, dict] = {}

    def _utcnow(self) -> dt.datetime:
        return self.now or utcnow()

    def process(self, entries: list[LedgerEntry]) -> GroupingResult:
        """Group a batch: entries are bucketed by cause first, so each cause costs a handful of
        queries per batch, however many of its complaints the batch holds."""
        entries = [e for e in entries if e.status in COUNTED_STATUSES]
        if not entries:
            return self.result
        self.session.flush()  # new entries need ids
        self._load_evidence(entries)
        food: dict[Cause, list[LedgerEntry]] = collections.defaultdict(list)
        normal: dict[Cause, list[LedgerEntry]] = collections.defaultdict(list)
        for entry in entries:
            if entry.food_safety:
                food[food_safety_cause(entry)].append(entry)
            for category in {c.category for c in entry.categories}:
                normal[cause_of(entry, category)].append(entry)
        order = lambda e: (e.occurred_at, e.id)  # noqa: E731
        # Fixed order by key: concurrent workers touch the tasks in the same order (no deadlocks).
        for cause in sorted(food, key=lambda c: c.key):
            self._food_safety(cause, sorted(food[cause], key=order))
        for cause in sorted(normal, key=lambda c: c.key):
            self._group(cause, sorted(normal[cause], key=order))
        self.session.flush()
        return self.result

    def _load_evidence(self, entries) -> None:
        rids = {e.review_id: e.id for e in entries if e.review_id}
        tids = {e.ticket_id: e.id for e in entries if e.ticket_id}
        if rids:
            for rid, ev in self.session.execute(
                    select(Classification.review_id, Classification.evidence).where(Classification.review_id.in_(rids))):
                self._phrases[rids[rid]] = ev or {}
        if tids:
            for tid, ev in self.session.execute(
                    select(Classification.ticket_id, Classification.evidence).where(Classification.ticket_id.in_(tids))):
                self._phrases[tids[tid]] = ev or {}

    # -- helpers --
    def active_task(self, cause: Cause) -> RootCauseTask | None:
        return self.session.execute(
            select(RootCauseTask).where(RootCauseTask.active_cause_key == cause.key)).scalar_one_or_none()

    def _times(self, cause: Cause, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, int]]:
        """(occurred_at, entry id) of the cause's complaints, one per incident: a review and a
        ticket of the same order (a 差评 and its refund) count once, at the first of them."""
        rows = self.session.execute(
            select(LedgerEntry.occurred_at, LedgerEntry.id, LedgerEntry.platform,
                   func.coalesce(Review.platform_order_id, Ticket.platform_order_id))
            .outerjoin(Review, Review.id == LedgerEntry.review_id)
            .outerjoin(Ticket, Ticket.id == LedgerEntry.ticket_id)
            .where(*cause.conditions(), LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at <= end)
            .order_by(LedgerEntry.occurred_at, LedgerEntry.id)).all()
        seen, out = set(), []
        for at, entry_id, platform, order_no in rows:
            if order_no:
                key = (order_system(platform), order_no)
                if key in seen:
                    continue
                seen.add(key)
            out.append((at, entry_id))
        return out

    def passes(self, cause: Cause, at: dt.datetime, times: list[dt.datetime] | None = None) -> tuple[bool, str, int]:
        """(passes, reason, complaints in the best window containing ``at``). ``times``: the
        sorted occurred_at of the cause's complaints around ``at`` (loaded if not given)."""
        w = dt.timedelta(days=self.config.group_window_days)
        if times is None:
            times = [t for t, _ in self._times(cause, at - w, at + w)]
        best = 0
        i = bisect.bisect_left(times, at - w)
        while i < len(times) and times[i] <= at:  # each window [t, t+w] that contains `at`
            best = max(best, bisect.bisect_right(times, times[i] + w) - i)
            i += 1
        if best >= self.config.group_threshold:
            return True, f"{best} 条投诉 / {self.config.group_window_days} 天", best
        return False, "", best

    def spikes(self, at: dt.datetime, times: list[dt.datetime]) -> tuple[bool, str, int]:
        """This week's count (the 7 days up to ``at``) against the trailing weeks' average;
        ``times`` must cover ``at`` - (trailing_weeks + 1) weeks .. ``at``, sorted."""
        week = dt.timedelta(days=7)
        recent = bisect.bisect_right(times, at) - bisect.bisect_right(times, at - week)
        trailing = bisect.bisect_right(times, at - week) - bisect.bisect_right(
            times, at - week - week * self.config.trailing_weeks)
        avg = trailing / max(1, self.config.trailing_weeks)
        if trailing and recent >= self.config.spike_min and recent >= self.config.spike_factor * avg:
            return True, f"投诉激增：本周 {recent} 条，前 {self.config.trailing_weeks} 周平均 {avg:.1f} 条/周", recent
        return False, "", recent

    def attach(self, task: RootCauseTask, entry_ids) -> int:
        wanted = list(dict.fromkeys(entry_ids))
        have = set()
        for start in range(0, len(wanted), 500):
            have |= set(self.session.execute(
                select(TaskEvidence.ledger_entry_id).where(
                    TaskEvidence.task_id == task.id,
                    TaskEvidence.ledger_entry_id.in_(wanted[start:start + 500]))).scalars())
        new = [i for i in wanted if i not in have]
        if new:
            now = utcnow()
            self.session.add_all([TaskEvidence(task_id=task.id, ledger_entry_id=i, attached_at=now) for i in new])
            # An SQL increment, not read-modify-write: two workers attaching at once add up.
            task.complaint_count = RootCauseTask.complaint_count + len(new)
            self.session.flush()
            self._update_phrases(task)
            self.result.attached += len(new)
        return len(new)

    def _update_phrases(self, task: RootCauseTask) -> None:
        ids = list(self.session.execute(
            select(TaskEvidence.ledger_entry_id).where(TaskEvidence.task_id == task.id)
            .order_by(TaskEvidence.attached_at.desc()).limit(200)).scalars())
        missing = [i for i in ids if i not in self._phrases]
        if missing:
            rows = self.session.execute(
                select(LedgerEntry.id, Classification.evidence)
                .join(Classification, (Classification.review_id == LedgerEntry.review_id)
                      | (Classification.ticket_id == LedgerEntry.ticket_id))
                .where(LedgerEntry.id.in_(missing))).all()
            for eid, ev in rows:
                self._phrases[eid] = ev or {}
        counter = collections.Counter()
        for i in ids:
            ev = self._phrases.get(i) or {}
            counter.update(set(ev.get(task.category) or []))
        recurring = [p for p, n in counter.most_common(5) if n >= 2]
        if recurring != list(task.key_phrases or []):
            task.key_phrases = recurring

    def _sla(self, severity: str) -> dt.datetime:
        return utcnow() + dt.timedelta(hours=self.config.sla_hours.get(severity, 72))

    def _open(self, cause: Cause, entry: LedgerEntry, severity: str, reason: str) -> RootCauseTask:
        """Open a task for the cause (or reopen its last verified one); concurrency-safe."""
        dept = route(self.session, cause.category if cause.category != FOOD_SAFETY else FOOD_SAFETY,
                     sku=entry.sku, carrier=entry.carrier, warehouse=entry.warehouse)
        previous = self.session.execute(
            select(RootCauseTask).where(RootCauseTask.cause_key == cause.key, RootCauseTask.status == "verified")
            .order_by(RootCauseTask.id.desc()).limit(1)).scalar_one_or_none()
        try:
            with self.session.begin_nested():
                if previous is not None:
                    task = previous
                    task.active_cause_key = cause.key
                    old = task.status
                    task.status, task.severity = "reopened", severity
                    task.sla_due_at, task.escalated_at = self._sla(severity), None
                    task.food_safety = task.food_safety or cause.category == FOOD_SAFETY
                    self.session.flush()
                    system_event(self.session, task, "reopened", f"问题复发，自动重新打开：{reason}", old)
                    self.result.reopened.append(task.id)
                else:
                    task = RootCauseTask(
                        cause_key=cause.key, active_cause_key=cause.key, category=cause.category,
                        department_id=dept.id, title=cause.describe()[:300], status="open",
                        severity=severity, food_safety=cause.category == FOOD_SAFETY,
                        attributes=cause.attributes, key_phrases=[], complaint_count=0,
                        sla_due_at=self._sla(severity), opened_at=utcnow())
                    self.session.add(task)
                    self.session.flush()
                    system_event(self.session, task, "open", f"自动创建：{reason}")
                    self.result.opened.append(task.id)
        except IntegrityError:
            # Another worker opened it first: use theirs.
            task = self.active_task(cause)
            if task is None:
                raise
            return task
        self.session.refresh(task, ["department"])
        event = "food_safety" if cause.category == FOOD_SAFETY else (
            "reopened" if task.id in self.result.reopened else "opened")
        self._notify(task, event)
        return task

    def _notify(self, task: RootCauseTask, event: str) -> None:
        rows = queue_task_notifications(self.session, task, event, self.config)
        self.result.notification_ids += [n.id for n in rows]

    # -- the two lanes --
    def _food_safety(self, cause: Cause, entries: list[LedgerEntry]) -> None:
        task = self.active_task(cause)
        if task is None:
            task = self._open(cause, entries[0], "critical", "食品安全投诉，立即处理")
        elif task.severity != "critical" or task.status == "resolved":
            old = task.status
            task.severity = "critical"
            due = self._sla("critical")
            task.sla_due_at = min(task.sla_due_at, due) if task.sla_due_at else due
            if task.status == "resolved":
                task.status = "reopened"
                self.result.reopened.append(task.id)
            system_event(self.session, task, task.status, "食品安全投诉，升级为紧急", old)
            self.result.escalated.append(task.id)
            self.session.refresh(task, ["department"])
            self._notify(task, "food_safety")
        self.attach(task, [e.id for e in entries])

    def _group(self, cause: Cause, entries: list[LedgerEntry]) -> None:
        task = self.active_task(cause)
        if task is not None:
            self._attach_to_active(task, cause, entries)
            return
        w = dt.timedelta(days=self.config.group_window_days)
        history = dt.timedelta(days=7 * (self.config.trailing_weeks + 1))
        times = [t for t, _ in self._times(cause, entries[0].occurred_at - max(w, history),
                                           entries[-1].occurred_at + w)]
        for entry in entries:
            ok, reason, count = self.passes(cause, entry.occurred_at, times)
            if not ok:
                ok, reason, count = self.spikes(entry.occurred_at, times)
            if not ok:
                continue
            if cause.category in ("price", "other"):
                severity = "low"
            elif count >= 2 * self.config.group_threshold or reason.startswith("投诉激增"):
                severity = "high"
            else:
                severity = "normal"
            task = self._open(cause, entry, severity, reason)
            if task.id in self.result.opened or task.id in self.result.reopened:
                # Every complaint of the cause since its last verified fix (all, for a new cause):
                # the evidence then does not depend on the order the messages arrived in.
                since = task.verified_at if task.id in self.result.reopened else None
                stmt = select(LedgerEntry.id).where(*cause.conditions())
                if since is not None:
                    stmt = stmt.where(LedgerEntry.occurred_at > since)
                self.attach(task, list(self.session.execute(stmt.order_by(LedgerEntry.id)).scalars())
                            + [e.id for e in entries])
            else:  # another worker opened it meanwhile
                self._attach_to_active(task, cause, entries)
            return

    def _attach_to_active(self, task: RootCauseTask, cause: Cause, entries: list[LedgerEntry]) -> None:
        if self.attach(task, [e.id for e in entries]) and task.status == "resolved" and task.resolved_at \
                and entries[-1].occurred_at > task.resolved_at:
            self._maybe_reopen(task, cause)

    def _maybe_reopen(self, task: RootCauseTask, cause: Cause) -> None:
        """Complaints recur after the fix: threshold reached after resolved_at -> reopened."""
        later = self._times(cause, task.resolved_at, dt.datetime.max)
        after = sum(1 for at, _ in later if at > task.resolved_at)  # incidents, as when opening
        if after >= self.config.group_threshold:
            task.status = "reopened"
            task.sla_due_at, task.escalated_at = self._sla(task.severity), None
            system_event(self.session, task, "reopened", f"整改后仍有 {after} 条相同投诉，自动重新打开", "resolved")
            self.result.reopened.append(task.id)
            self.session.refresh(task, ["department"])
            self._notify(task, "reopened")


def group_entries(session: Session, entries: list[LedgerEntry], config: WorkflowConfig | None = None) -> GroupingResult:
    return Grouper(session, config).process(entries)
