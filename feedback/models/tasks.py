"""Departments, routing rules, root-cause tasks, their evidence, history and notifications."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, JSONType, utcnow

DEPARTMENT_CODES = ("warehouse", "logistics", "qc", "rnd", "cs")  # 仓储 物流 品控 研发 客服
TASK_STATUSES = ("open", "acknowledged", "in_progress", "resolved", "verified", "reopened")
ACTIVE_TASK_STATUSES = ("open", "acknowledged", "in_progress", "resolved", "reopened")
SEVERITIES = ("critical", "high", "normal", "low")


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    head_email: Mapped[str | None] = mapped_column(String(200))
    webhook_url: Mapped[str | None] = mapped_column(String(500))


class RoutingRule(Base):
    """category (+ optional sku/carrier/warehouse) -> department; most specific, then priority, wins."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(16))
    sku: Mapped[str | None] = mapped_column(String(100))
    carrier: Mapped[str | None] = mapped_column(String(100))
    warehouse: Mapped[str | None] = mapped_column(String(100))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    department: Mapped[Department] = relationship()


class RootCauseTask(Base):
    __tablename__ = "root_cause_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    cause_key: Mapped[str] = mapped_column(String(400), index=True)
    # Equals cause_key while the task is active, NULL once verified: a unique column that makes
    # "one active task per cause" a database guarantee (NULLs never collide).
    active_cause_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    category: Mapped[str] = mapped_column(String(16), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    severity: Mapped[str] = mapped_column(String(16), default="normal")
    food_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    attributes: Mapped[dict] = mapped_column(JSONType, default=dict)  # sku, batch, carrier, ...
    key_phrases: Mapped[list] = mapped_column(JSONType, default=list)
    complaint_count: Mapped[int] = mapped_column(Integer, default=0)
    sla_due_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    opened_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    verified_at: Mapped[dt.datetime | None]
    escalated_at: Mapped[dt.datetime | None]
    root_cause: Mapped[str | None] = mapped_column(Text)
    corrective_action: Mapped[str | None] = mapped_column(Text)
    rate_before: Mapped[float | None] = mapped_column(Float)
    rate_after: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship()
    evidence: Mapped[list[TaskEvidence]] = relationship(back_populates="task")
    events: Mapped[list[TaskEvent]] = relationship(back_populates="task", order_by="TaskEvent.id")


class TaskEvidence(Base):
    __tablename__ = "task_evidence"

    task_id: Mapped[int] = mapped_column(ForeignKey("root_cause_tasks.id"), primary_key=True)
    ledger_entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"), primary_key=True, index=True)
    attached_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    task: Mapped[RootCauseTask] = relationship(back_populates="evidence")


class TaskEvent(Base):
    """Every state change or comment on a task: who, when, from, to, comment."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("root_cause_tasks.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(100))  # username or "system"
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    task: Mapped[RootCauseTask] = relationship(back_populates="events")


class Notification(Base):
    """An outgoing webhook or e-mail; retried with backoff, failures stay visible."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("root_cause_tasks.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # webhook | email
    target: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(300), default="")
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
