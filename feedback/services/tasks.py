"""Root-cause tasks for the web UI (task board, detail page) and the background checks.

``TaskService(session, user)`` is what views use::

    svc = TaskService(request.dbsession, request.user)          # or task_service(request)
    tasks = svc.list(status="open")             # overdue first, then severity, then due time
    task = svc.get(42)                          # TaskNotFound / TaskForbidden (dept scoping)
    svc.transition(task, "acknowledged", comment="收到")
    svc.transition(task, "resolved", root_cause="封口机温度偏低", corrective_action="调整并复检")
    svc.comment(task, "已联系供应商")
    svc.adjust(task, title=..., department_id=..., due_date=...)  # a manager's: rename, re-route, new SLA
    svc.events(task)                            # TaskEvent list, oldest first (who/when/from/to/comment)
    svc.evidence(task, limit=50)                # LedgerEntry list, newest first
    svc.timeline(task, weeks=8)                 # [TrendPoint(week, count, change)] for a small chart
    svc.is_overdue(task)

Allowed transitions (``TRANSITIONS``): open → acknowledged → in_progress → resolved →
verified | reopened; reopened → acknowledged | in_progress; verified → reopened. Resolving needs a
root cause and a corrective action. A dept_head sees and changes only their department's tasks and
cannot mark a fix verified (managers/admins can; the verification check does it from the numbers).
Errors are ``TaskError`` subclasses with a Chinese-first message ready to flash.

Background checks (called by workflows actors): ``escalate_overdue`` and ``verify_resolved``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import case, delete, func, nulls_last, select
from sqlalchemy.orm import Session, selectinload

from ..models import Department, LedgerEntry, Order, RootCauseTask, TaskEvent, TaskEvidence, User
from ..models.meta import SHOP_UTC_OFFSET, shop_time, shop_today, utcnow
from ..models.tasks import ACTIVE_TASK_STATUSES, SEVERITIES, TASK_STATUSES
from .ledger import TrendPoint, iso_week, trend_points, week_start
from .notifications import queue_task_notifications
from .rootcause import (MANUAL_CAUSE_PREFIX, Cause, attach_evidence, is_manual, open_manual_task, system_event,
                        task_conditions)
from .workflow_config import WorkflowConfig

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("acknowledged",),
    "acknowledged": ("in_progress",),
    "in_progress": ("resolved",),
    "resolved": ("verified", "reopened"),
    "reopened": ("acknowledged", "in_progress"),
    "verified": ("reopened",),
}
STATUS_NAMES = {"open": "待处理", "acknowledged": "已确认", "in_progress": "处理中", "resolved": "已整改",
                "verified": "已验证", "reopened": "已重开"}
SEVERITY_NAMES = {"critical": "紧急", "high": "高", "normal": "中", "low": "低"}
# Statuses the SLA applies to (a resolved task waits for verification, not for the department).
SLA_STATUSES = ("open", "acknowledged", "in_progress", "reopened")
TITLE_MAX = 300  # the column's width
MAX_COMMENT = 20_000  # comments, root causes and corrective actions alike: refused beyond, never cut


class TaskError(ValueError):
    pass


class TaskNotFound(TaskError):
    pass


class TaskForbidden(TaskError):
    pass


class TransitionError(TaskError):
    pass


def _severity_order():
    return case({s: i for i, s in enumerate(SEVERITIES)}, value=RootCauseTask.severity, else_=9)


class TaskService:
    def __init__(self, session: Session, user: User | None = None, config: WorkflowConfig | None = None):
        self.session = session
        self.user = user
        self.config = config or WorkflowConfig()

    # -- scoping --
    @property
    def scoped_department_id(self) -> int | None:
        """The only department this user may see (dept_head), else None (all)."""
        if self.user is not None and self.user.role == "dept_head":
            return self.user.department_id or -1
        return None

    def _check_scope(self, task: RootCauseTask) -> None:
        dept = self.scoped_department_id
        if dept is not None and task.department_id != dept:
            raise TaskForbidden("无权查看其他部门的任务 (task belongs to another department)")

    # -- reading --
    def departments(self) -> list[Department]:
        stmt = select(Department).order_by(Department.id)
        if self.scoped_department_id is not None:
            stmt = stmt.where(Department.id == self.scoped_department_id)
        return list(self.session.execute(stmt).scalars())

    def list(self, *, department_id: int | None = None, status: str | None = None,
             category: str | None = None, severity: str | None = None, active_only: bool = False,
             overdue_only: bool = False, limit: int = 200, offset: int = 0,
             now: dt.datetime | None = None) -> list[RootCauseTask]:
        """Tasks, overdue first, then by severity, then by due time. ``status`` may be one status or
        "active" (everything but verified)."""
        now = now or utcnow()
        if status and status != "active" and status not in TASK_STATUSES:
            raise TaskError(f"未知状态 (unknown status): {status!r}")
        overdue = (RootCauseTask.sla_due_at < now) & RootCauseTask.status.in_(SLA_STATUSES)
        stmt = select(RootCauseTask).options(selectinload(RootCauseTask.department))
        scoped = self.scoped_department_id
        if scoped is not None:
            stmt = stmt.where(RootCauseTask.department_id == scoped)
        elif department_id is not None:
            stmt = stmt.where(RootCauseTask.department_id == department_id)
        if status == "active" or active_only:
            stmt = stmt.where(RootCauseTask.status.in_(ACTIVE_TASK_STATUSES))
        elif status:
            stmt = stmt.where(RootCauseTask.status == status)
        if category:
            stmt = stmt.where(RootCauseTask.category == category)
        if severity:
            stmt = stmt.where(RootCauseTask.severity == severity)
        if overdue_only:
            stmt = stmt.where(overdue)
        stmt = stmt.order_by(case((overdue, 0), else_=1), _severity_order(),
                             nulls_last(RootCauseTask.sla_due_at.asc()), RootCauseTask.id.desc())
        return list(self.session.execute(stmt.limit(limit).offset(offset)).scalars())

    def counts_by_status(self) -> dict[str, int]:
        stmt = select(RootCauseTask.status, func.count(RootCauseTask.id)).group_by(RootCauseTask.status)
        if self.scoped_department_id is not None:
            stmt = stmt.where(RootCauseTask.department_id == self.scoped_department_id)
        return dict(self.session.execute(stmt).all())

    def get(self, task_id: int) -> RootCauseTask:
        task = self.session.get(RootCauseTask, task_id)
        if task is None:
            raise TaskNotFound(f"任务不存在 (no task #{task_id})")
        self._check_scope(task)
        return task

    @staticmethod
    def is_overdue(task: RootCauseTask, now: dt.datetime | None = None) -> bool:
        return bool(task.sla_due_at and task.status in SLA_STATUSES and task.sla_due_at < (now or utcnow()))

    def allowed_transitions(self, task: RootCauseTask) -> tuple[str, ...]:
        """The moves this service's user may make (verifying, and reopening a verified task, are
        a manager's or admin's)."""
        return tuple(s for s in TRANSITIONS.get(task.status, ()) if not self._verification_only(task, s))

    def _verification_only(self, task: RootCauseTask, to_status: str) -> bool:
        return (self.user is not None and self.user.role == "dept_head"
                and "verified" in (to_status, task.status))

    def events(self, task: RootCauseTask) -> list[TaskEvent]:
        return list(self.session.execute(
            select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)).scalars())

    def evidence(self, task: RootCauseTask, limit: int = 50) -> list[LedgerEntry]:
        return list(self.session.execute(
            select(LedgerEntry).join(TaskEvidence, TaskEvidence.ledger_entry_id == LedgerEntry.id)
            .where(TaskEvidence.task_id == task.id).options(selectinload(LedgerEntry.categories))
            .order_by(LedgerEntry.occurred_at.desc(), LedgerEntry.id.desc()).limit(limit)).scalars())

    def timeline(self, task: RootCauseTask, weeks: int = 8, end: dt.date | None = None) -> list[TrendPoint]:
        """Weekly counts of complaints matching the task's cause (attached or not), zero-filled,
        ending at the newest such complaint (or today)."""
        conditions = task_conditions(task)
        if end is None:
            newest = self.session.execute(
                select(func.max(LedgerEntry.occurred_at)).where(*conditions)).scalar()
            # after a fix the chart runs to today, so weeks without complaints show as zeros
            end = shop_today() if task.resolved_at is not None else (newest.date() if newest else shop_today())
        last = week_start(iso_week(end))
        labels = [iso_week(last - dt.timedelta(weeks=i)) for i in range(weeks - 1, -1, -1)]
        counts = dict(self.session.execute(
            select(LedgerEntry.week, func.count(LedgerEntry.id))
            .where(*conditions, LedgerEntry.week.in_(labels)).group_by(LedgerEntry.week)).all())
        return trend_points(labels, counts)

    def verification_outlook(self, task: RootCauseTask, now: dt.datetime | None = None) -> VerificationOutlook | None:
        """For a resolved task: when it is checked and how its cause's complaint rate moved so far."""
        if task.status != "resolved" or task.resolved_at is None:
            return None
        if is_manual(task):
            return VerificationOutlook(manual=True)
        window = dt.timedelta(days=self.config.verify_window_days)
        elapsed = min((now or utcnow()) - task.resolved_at, window)
        out = VerificationOutlook(manual=False, due_at=task.resolved_at + window,
                                  days=max(elapsed.total_seconds(), 0) / 86400)
        if elapsed >= dt.timedelta(hours=1):  # rates over less than an hour say nothing
            out.before, out.after, out.unit = cause_rates(self.session, task, task.resolved_at, elapsed)
        return out

    # -- writing --
    def _actor(self) -> tuple[int | None, str]:
        if self.user is None:
            return None, "system"
        return self.user.id, self.user.username

    def comment(self, task: RootCauseTask, text: str) -> TaskEvent:
        self._check_scope(task)
        text = (text or "").strip()
        if not text:
            raise TaskError("评论不能为空 (comment is empty)")
        if len(text) > MAX_COMMENT:
            raise TaskError(f"评论最多 {MAX_COMMENT} 字，现有 {len(text)} 字 "
                            f"(comment longer than {MAX_COMMENT} characters)")
        uid, actor = self._actor()
        ev = TaskEvent(task_id=task.id, user_id=uid, actor=actor, comment=text, created_at=utcnow())
        self.session.add(ev)
        self.session.flush()
        return ev

    def transition(self, task: RootCauseTask, to_status: str, comment: str | None = None, *,
                   root_cause: str | None = None, corrective_action: str | None = None,
                   now: dt.datetime | None = None) -> TaskEvent:
        """Move the task to ``to_status`` and record who/when/from/to/comment."""
        self._check_scope(task)
        now = now or utcnow()
        if to_status not in TASK_STATUSES:
            raise TransitionError(f"未知状态 (unknown status): {to_status!r}")
        for name, value in (("comment", comment), ("root cause", root_cause), ("corrective action", corrective_action)):
            if value and len(value) > MAX_COMMENT:
                raise TransitionError(f"{name} 最多 {MAX_COMMENT} 字 (longer than {MAX_COMMENT} characters)")
        if to_status not in TRANSITIONS.get(task.status, ()):
            raise TransitionError(
                f"不能从“{STATUS_NAMES[task.status]}”变为“{STATUS_NAMES[to_status]}” "
                f"(transition {task.status} -> {to_status} is not allowed)")
        if self._verification_only(task, to_status):
            raise TaskForbidden("整改验证（及验证后重开）需由评价经理或管理员确认 "
                                "(only a manager or admin can verify, or reopen a verified task)")
        if to_status == "resolved":
            rc = (root_cause or task.root_cause or "").strip()
            ca = (corrective_action or task.corrective_action or "").strip()
            if not rc or not ca:
                raise TransitionError("请填写根本原因和整改措施 (root cause and corrective action are required)")
            task.root_cause, task.corrective_action, task.resolved_at = rc, ca, now
        elif root_cause or corrective_action:
            task.root_cause = (root_cause or task.root_cause)
            task.corrective_action = (corrective_action or task.corrective_action)
        if to_status == "acknowledged" and task.acknowledged_at is None:
            task.acknowledged_at = now
        if to_status == "verified":
            task.verified_at, task.active_cause_key = now, None
        if to_status == "reopened":
            if task.active_cause_key is None:
                other = self.session.execute(select(RootCauseTask.id).where(
                    RootCauseTask.active_cause_key == task.cause_key)).scalar()
                if other is not None:
                    raise TransitionError(f"同一原因已有进行中的任务 #{other} (another active task has this cause)")
                task.active_cause_key = task.cause_key
            task.sla_due_at = now + dt.timedelta(hours=self.config.sla_hours.get(task.severity, 72))
            task.escalated_at = None
        uid, actor = self._actor()
        ev = TaskEvent(task_id=task.id, user_id=uid, actor=actor, from_status=task.status,
                       to_status=to_status, comment=(comment or "").strip() or None, created_at=now)
        task.status = to_status
        self.session.add(ev)
        self.session.flush()
        return ev

    def adjust(self, task: RootCauseTask, *, title: str | None = None, department_id: int | None = None,
               due_date: dt.date | None = None, comment: str | None = None) -> TaskEvent | None:
        """A manager's changes to an active task: its title, its department (the new one is
        notified) and its SLA (the end of ``due_date`` in the shop's time). Everything is checked
        before anything changes; one event records what changed; None when nothing did. Routing
        rules still decide the department of the cause's later tasks."""
        if self.user is None or self.user.role not in ("admin", "manager"):
            raise TaskForbidden("只有评价经理或管理员可以调整任务 (only a manager or admin can change a task)")
        if task.status not in ACTIVE_TASK_STATUSES:
            raise TaskError("已验证关闭的任务不能调整 (a verified task cannot be changed)")
        title = (title or "").strip()
        if len(title) > TITLE_MAX:
            raise TaskError(f"标题最多 {TITLE_MAX} 字，现有 {len(title)} 字 (title longer than {TITLE_MAX})")
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT:
            raise TaskError(f"备注最多 {MAX_COMMENT} 字 (comment longer than {MAX_COMMENT} characters)")
        dept, manual_key = None, None
        if department_id is not None and department_id != task.department_id:
            dept = self.session.get(Department, department_id)
            if dept is None:
                raise TaskError(f"没有这个部门 (no department #{department_id})")
            if is_manual(task):  # one hand-assigned task per department: the key follows it
                manual_key = MANUAL_CAUSE_PREFIX + dept.code
                other = self.session.execute(select(RootCauseTask.id).where(
                    RootCauseTask.active_cause_key == manual_key)).scalar()
                if other is not None:
                    raise TaskError(f"{dept.name}已有人工分派任务 #{other}，请在评价页把投诉分派过去 "
                                    f"(the department already has hand-assigned task #{other})")
        due = None
        current = shop_time(task.sla_due_at, "%Y-%m-%d") if task.sla_due_at else None
        if due_date is not None and due_date.isoformat() != current:  # the form sends the date back
            if due_date < shop_today():
                raise TaskError(f"处理时限不能早于今天 (due date {due_date} is in the past)")
            due = dt.datetime.combine(due_date, dt.time(23, 59)) - SHOP_UTC_OFFSET

        changes = []
        if title and title != task.title:
            changes.append(f"标题：{task.title} → {title}")
            task.title = title
        if dept is not None:
            changes.append(f"改派：{task.department.name} → {dept.name}")
            task.department_id = dept.id
            if manual_key:
                task.cause_key = task.active_cause_key = manual_key
        if due is not None:
            changes.append(f"处理时限：{shop_time(task.sla_due_at)} → {shop_time(due)}")
            task.sla_due_at = due
            if due > utcnow():
                task.escalated_at = None  # a new deadline: missing it escalates again
        if not changes:
            return None
        uid, actor = self._actor()
        ev = TaskEvent(task_id=task.id, user_id=uid, actor=actor,
                       comment="；".join(changes) + (f"\n{comment}" if comment else ""), created_at=utcnow())
        self.session.add(ev)
        self.session.flush()
        if dept is not None:
            self.session.refresh(task, ["department"])
            queue_task_notifications(self.session, task, "assigned", self.config)
        return ev

    def move_evidence(self, task: RootCauseTask, entry_ids, *, department_id: int | None = None,
                      comment: str | None = None) -> tuple[int, RootCauseTask | None]:
        """A manager takes complaints off a hand-assigned task (attached by mistake, or another
        department's share of a mixed lot) and, with ``department_id``, hands them to that
        department's hand-assigned task. A grouped task keeps its evidence: its cause decides it.
        Checked whole before anything changes; returns (how many, the receiving task or None)."""
        if self.user is None or self.user.role not in ("admin", "manager"):
            raise TaskForbidden("只有评价经理或管理员可以移出投诉 (only a manager or admin can move complaints)")
        if not is_manual(task):
            raise TaskError("只有人工分派的任务可以移出投诉；自动归并的任务由原因决定证据 "
                            "(only a hand-assigned task's complaints can be moved)")
        if task.status not in ACTIVE_TASK_STATUSES:
            raise TaskError("已验证关闭的任务不能调整 (a verified task cannot be changed)")
        ids = sorted({int(i) for i in entry_ids})
        if not ids:
            raise TaskError("请选择要移出的投诉 (choose the complaints to move)")
        present = set(self.session.scalars(select(TaskEvidence.ledger_entry_id).where(
            TaskEvidence.task_id == task.id, TaskEvidence.ledger_entry_id.in_(ids))))
        if len(present) != len(ids):
            raise TaskError(f"{len(ids) - len(present)} 条投诉不在任务 #{task.id} 中 (not evidence of this task)")
        comment = (comment or "").strip()
        if len(comment) > MAX_COMMENT:
            raise TaskError(f"备注最多 {MAX_COMMENT} 字 (comment longer than {MAX_COMMENT} characters)")
        target = dept = None
        if department_id is not None:
            dept = self.session.get(Department, department_id)
            if dept is None:
                raise TaskError(f"没有这个部门 (no department #{department_id})")
            if dept.id == task.department_id:
                raise TaskError(f"这些投诉已在{dept.name}的任务中 (already this department's task)")
            target = open_manual_task(self.session, dept, self.user)
        self.session.execute(delete(TaskEvidence).where(TaskEvidence.task_id == task.id,
                                                        TaskEvidence.ledger_entry_id.in_(ids)))
        task.complaint_count = max(0, (task.complaint_count or 0) - len(ids))
        uid, actor = self._actor()
        moved = f"移出 {len(ids)} 条中差评" + (f" → 任务 #{target.id}（{dept.name}）" if target else "")
        self.session.add(TaskEvent(task_id=task.id, user_id=uid, actor=actor, from_status=task.status,
                                   to_status=task.status, comment=moved + (f"\n{comment}" if comment else "")))
        if target is not None:
            source = f"从任务 #{task.id}（{task.department.name}）"
            attach_evidence(self.session, target, ids, self.user,
                            lambda n: f"{source}移入 {n} 条中差评" + (f"\n{comment}" if comment else ""))
        self.session.flush()
        return len(ids), target


@dataclasses.dataclass
class VerificationOutlook:
    """What the task page says about the check after a fix: when the automatic comparison runs,
    and the complaint rates so far (the days since the fix against as many days before it)."""
    manual: bool  # a hand-assigned task: no cause to measure, a manager verifies it
    due_at: dt.datetime | None = None
    days: float = 0.0
    before: float | None = None
    after: float | None = None
    unit: str | None = None


def task_service(request) -> TaskService:
    """Factory for views: the request's session and user, and the ini's workflow settings."""
    return TaskService(request.dbsession, getattr(request, "user", None),
                       WorkflowConfig.from_settings(request.registry.settings))


# -- background checks ------------------------------------------------------------------------

def escalate_overdue(session: Session, config: WorkflowConfig, now: dt.datetime | None = None) -> list[int]:
    """Overdue tasks not yet escalated: mark escalated, record an event, notify the department
    head and the admins. Returns the notification ids to deliver. Idempotent (escalated_at)."""
    now = now or utcnow()
    tasks = session.execute(
        select(RootCauseTask).where(RootCauseTask.status.in_(SLA_STATUSES), RootCauseTask.sla_due_at < now,
                                    RootCauseTask.escalated_at.is_(None))
        .options(selectinload(RootCauseTask.department))).scalars().all()
    ids = []
    for task in tasks:
        task.escalated_at = now
        system_event(session, task, task.status, f"超过处理时限 {shop_time(task.sla_due_at)}，已升级通知",
                     task.status)
        ids += [n.id for n in queue_task_notifications(session, task, "escalated", config)]
    session.flush()
    return ids


@dataclasses.dataclass
class VerificationResult:
    verified: list[int] = dataclasses.field(default_factory=list)
    reopened: list[int] = dataclasses.field(default_factory=list)
    notification_ids: list[int] = dataclasses.field(default_factory=list)


def _count(session: Session, task: RootCauseTask, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(complaints of the task's cause, orders of its SKU) in [start, end)."""
    n = session.execute(select(func.count(LedgerEntry.id)).where(
        *Cause.from_task(task).conditions(), LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < end)).scalar_one()
    orders = 0
    sku = (task.attributes or {}).get("sku")
    if sku:
        when = func.coalesce(Order.paid_at, Order.shipped_at, Order.created_at)
        orders = session.execute(select(func.count(Order.id)).where(
            Order.sku == sku, when >= start, when < end)).scalar_one()
    return n, orders


def cause_rates(session: Session, task: RootCauseTask, pivot: dt.datetime,
                window: dt.timedelta) -> tuple[float, float, str]:
    """Complaint rate of the task's cause in the window before ``pivot`` and the window after:
    per 1,000 orders of the SKU when both windows have known order volume, else per day."""
    n1, o1 = _count(session, task, pivot - window, pivot)
    n2, o2 = _count(session, task, pivot, pivot + window)
    if o1 and o2:
        return n1 * 1000.0 / o1, n2 * 1000.0 / o2, "per_1000_orders"
    days = window.total_seconds() / 86400
    return n1 / days, n2 / days, "per_day"


def verify_resolved(session: Session, config: WorkflowConfig, now: dt.datetime | None = None) -> VerificationResult:
    """Resolved tasks whose verification window has passed: compare the cause's complaint rate in
    the window after resolved_at with the same-length window before. Fell (or nothing recurred):
    verified; otherwise reopened. Both recorded as system events with the two rates."""
    now = now or utcnow()
    window = dt.timedelta(days=config.verify_window_days)
    result = VerificationResult()
    # a hand-assigned task has no cause whose rate could be compared: a manager verifies it
    tasks = session.execute(
        select(RootCauseTask).where(RootCauseTask.status == "resolved", RootCauseTask.resolved_at.is_not(None),
                                    RootCauseTask.resolved_at <= now - window,
                                    RootCauseTask.cause_key.not_like(MANUAL_CAUSE_PREFIX + "%"))
        .options(selectinload(RootCauseTask.department))).scalars().all()
    for task in tasks:
        before, after, unit = cause_rates(session, task, task.resolved_at, window)
        task.rate_before, task.rate_after = round(before, 4), round(after, 4)
        if after == 0 or after < before:
            task.status, task.verified_at, task.active_cause_key = "verified", now, None
            system_event(session, task, "verified",
                         f"整改有效：投诉率 {before:.3f} → {after:.3f} ({unit})", "resolved")
            result.verified.append(task.id)
        else:
            task.status = "reopened"
            task.sla_due_at = now + dt.timedelta(hours=config.sla_hours.get(task.severity, 72))
            task.escalated_at = None
            system_event(session, task, "reopened",
                         f"整改未见效：投诉率 {before:.3f} → {after:.3f} ({unit})，自动重新打开", "resolved")
            result.reopened.append(task.id)
            result.notification_ids += [n.id for n in queue_task_notifications(session, task, "reopened", config)]
    session.flush()
    return result
