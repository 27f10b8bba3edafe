"""Transactional outbox: jobs written in the same transaction as the data they concern.

A sweeper enqueues pending rows to the dramatiq broker, so a broker outage or a crash between
commit and enqueue never loses work; the database stays the source of truth for what is pending.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, JSONType, utcnow

OUTBOX_STATUSES = ("pending", "enqueued", "done", "failed")


class OutboxJob(Base):
    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_jobs_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Optional idempotency key: the same logical job is never written twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[dt.datetime | None]
    done_at: Mapped[dt.datetime | None]
