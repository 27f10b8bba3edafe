"""The negative-review ledger (中差评明细表): one entry per complaint, denormalized for querying."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, utcnow

# new: a complaint (the classifier's word) not yet seen by a manager; unsure: the classifier said
# "not a complaint" with low confidence, so a manager decides (issue 3: low confidence goes to
# triage); confirmed: a manager confirmed or corrected it; not_complaint: closed.
LEDGER_STATUSES = ("new", "unsure", "confirmed", "not_complaint")
# The statuses that are complaints: counted on the ledger page, in exports and root-cause grouping.
COUNTED_STATUSES = ("new", "confirmed")
# Waiting for a manager: the triage queue's default.
TRIAGE_STATUSES = ("new", "unsure")


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_occurred_at_id", "occurred_at", "id"),
        # The triage queue reads each urgency tier newest-first within one status (web UI).
        Index("ix_ledger_entries_triage", "status", "food_safety", "occurred_at", "id"),
        # Covering index of the ledger page's counts over a date range (web UI).
        Index("ix_ledger_entries_stats", "occurred_at", "status", "week", "sku", "carrier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), unique=True)
    platform: Mapped[str] = mapped_column(String(16), index=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    sku: Mapped[str | None] = mapped_column(String(100), index=True)
    product_name: Mapped[str | None] = mapped_column(String(300))
    batch_code: Mapped[str | None] = mapped_column(String(100), index=True)
    production_date: Mapped[dt.date | None] = mapped_column(Date)
    expiry_date: Mapped[dt.date | None] = mapped_column(Date)
    shelf_life_left_ratio: Mapped[float | None] = mapped_column(Float)  # at delivery, 0..1
    near_expiry: Mapped[bool] = mapped_column(Boolean, default=False)  # 临期发货
    warehouse: Mapped[str | None] = mapped_column(String(100), index=True)
    carrier: Mapped[str | None] = mapped_column(String(100), index=True)
    region: Mapped[str | None] = mapped_column(String(100))
    rating_stars: Mapped[int | None] = mapped_column(SmallInteger)
    rating_level: Mapped[str | None] = mapped_column(String(8))
    primary_category: Mapped[str] = mapped_column(String(16), index=True)
    food_safety: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    occurred_at: Mapped[dt.datetime]
    week: Mapped[str] = mapped_column(String(8), index=True)  # ISO week, "2024-W09"
    month: Mapped[str] = mapped_column(String(7), index=True)  # "2024-03"
    status: Mapped[str] = mapped_column(String(16), default="new", index=True)
    # A copy of the review's/ticket's text, for the triage text search (and its index, above):
    # written by LedgerBuilder and by the importer when it changes a stored text.
    search_text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    categories: Mapped[list[LedgerCategory]] = relationship(
        back_populates="entry", cascade="all, delete-orphan"
    )


class LedgerCategory(Base):
    """One row per (entry, category), so counts by category are plain SQL on every backend."""

    __tablename__ = "ledger_categories"
    __table_args__ = (Index("ix_ledger_categories_category_entry", "category", "entry_id"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)

    entry: Mapped[LedgerEntry] = relationship(back_populates="categories")


# PostgreSQL only, made by migration c41f0e8b7a2d (not declared on the table: SQLite can neither
# build nor reflect it, alembic/env.py leaves it out of the comparison): a GIN index of each
# entry's lower-cased search_text's characters and character pairs,
# `feedback_text_grams(lower(search_text))`, read by the triage text search (services/triage.py).
TEXT_GRAMS_INDEXES = ("ix_ledger_entries_search_grams",)

# Dimensions kept in ledger_week_counts ("all" has one row per week and status, value "").
WEEK_COUNT_DIMENSIONS = ("all", "category", "sku", "carrier", "warehouse", "platform")


class LedgerWeekCount(Base):
    """Ledger entries per ISO week, status and value of one dimension (NULL stored as ""):
    the ledger page's counts and trend without reading every entry. Kept equal to a GROUP BY over
    ledger_entries/ledger_categories by feedback.services.ledger_counts, in the same transaction as
    every change of an entry; `feedback ledger recount` checks or rebuilds it."""

    __tablename__ = "ledger_week_counts"

    dim: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)  # "2024-W09": sorts as text
    value: Mapped[str] = mapped_column(String(100), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0)
