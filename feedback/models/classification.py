"""What the classifier said about a review or ticket, and what a manager corrected."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base, JSONType, utcnow

CATEGORIES = ("taste", "freshness", "logistics", "quality", "service", "price", "other")


class Classification(Base):
    """The current classification of one review or one ticket (re-classifying updates it)."""

    __tablename__ = "classifications"
    __table_args__ = (
        CheckConstraint("(review_id IS NULL) <> (ticket_id IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), unique=True)
    model_version: Mapped[str] = mapped_column(String(100))
    complaint: Mapped[bool] = mapped_column(Boolean)
    categories: Mapped[list] = mapped_column(JSONType, default=list)
    food_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    scores: Mapped[dict] = mapped_column(JSONType, default=dict)
    evidence: Mapped[dict] = mapped_column(JSONType, default=dict)
    sources: Mapped[dict] = mapped_column(JSONType, default=dict)  # label -> which path produced it
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    low_confidence: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LabelCorrection(Base):
    """A manager's corrected label; exported as JSONL it retrains the classifier."""

    __tablename__ = "label_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    complaint: Mapped[bool] = mapped_column(Boolean)
    categories: Mapped[list] = mapped_column(JSONType, default=list)
    food_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    previous: Mapped[dict | None] = mapped_column(JSONType)  # the prediction it replaced
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
