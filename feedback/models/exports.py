"""Export jobs: a root-cause summary (XLSX) or the ledger (CSV/XLSX) for one period, made by the
worker and kept as a file under var/exports/."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .meta import Base, utcnow

EXPORT_KINDS = ("summary", "ledger")
EXPORT_PERIOD_TYPES = ("week", "month", "custom")
EXPORT_FORMATS = ("xlsx", "csv")
EXPORT_STATUSES = ("pending", "running", "done", "failed")
EXPORT_TRIGGERS = ("ui", "schedule", "cli")


class ExportJob(Base):
    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint("date_from <= date_to", name="period_order"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        Index("ix_export_jobs_created_at_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # summary | ledger
    period_type: Mapped[str] = mapped_column(String(16))  # week | month | custom
    period_label: Mapped[str] = mapped_column(String(32), default="")  # "2026-W47", "2026-11", "2026-11-01~2026-11-15"
    date_from: Mapped[dt.date] = mapped_column(Date)  # inclusive
    date_to: Mapped[dt.date] = mapped_column(Date)  # inclusive
    format: Mapped[str] = mapped_column(String(8))  # xlsx | csv
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    progress: Mapped[int] = mapped_column(SmallInteger, default=0)
    trigger: Mapped[str] = mapped_column(String(16), default="ui")  # ui | schedule | cli
    # Set for scheduled jobs ("summary:week:2026-W47"): a scheduler firing twice makes one job.
    schedule_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    file_path: Mapped[str | None] = mapped_column(String(500))  # relative to var/exports/
    file_size: Mapped[int | None] = mapped_column(Integer)
    row_count: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    notify: Mapped[str | None] = mapped_column(String(500))  # webhook URL or e-mail, optional
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    requested_by: Mapped[User | None] = relationship()
