"""Reply explanations (评价解释): templates, drafts and per-platform reply rules."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .feedback_items import Review
from .meta import Base, JSONType, utcnow

#: Which part of a reply a template writes.
TEMPLATE_KINDS = ("opening", "ack", "explain", "action", "corrective", "closing")
#: Buyer tone a template is written for.
TONES = ("new", "returning", "any")
#: draft -> edited -> approved -> posted; food-safety drafts start (and may be put) in held.
DRAFT_STATUSES = ("draft", "edited", "held", "approved", "posted")


class ReplyTemplate(Base):
    """One wording variant of one part of a reply. Several active rows with the same kind,
    category, tone and food_safety are alternatives the drafter chooses between."""

    __tablename__ = "reply_templates"
    __table_args__ = (Index("ix_reply_templates_kind_category", "kind", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # A complaint category, "none" (a low rating without a stated reason) or "any".
    category: Mapped[str] = mapped_column(String(16), default="any")
    tone: Mapped[str] = mapped_column(String(16), default="any")
    food_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ReplyDraft(Base):
    """The shop's public reply to one review, from the machine draft to the posted text."""

    __tablename__ = "reply_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), unique=True)
    platform: Mapped[str] = mapped_column(String(16), index=True)
    text: Mapped[str] = mapped_column(Text)  # the current text (edited, approved, posted)
    draft_text: Mapped[str] = mapped_column(Text)  # what the drafter wrote, never changed by edits
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    needs_senior_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    food_safety: Mapped[bool] = mapped_column(Boolean, default=False)
    categories: Mapped[list] = mapped_column(JSONType, default=list)
    template_ids: Mapped[list] = mapped_column(JSONType, default=list)
    source_draft_ids: Mapped[list] = mapped_column(JSONType, default=list)  # approved replies reused
    issues: Mapped[list] = mapped_column(JSONType, default=list)  # validator findings, last check
    drafted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    drafted_by: Mapped[str] = mapped_column(String(100), default="system")
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    edited_at: Mapped[dt.datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None]
    senior_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    senior_approved_at: Mapped[dt.datetime | None]
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    posted_at: Mapped[dt.datetime | None]
    # Levenshtein distance between draft_text and the approved text (characters).
    edit_distance: Mapped[int | None] = mapped_column(Integer)
    # Last moment the platform accepts the explanation (shop local time, like reviewed_at).
    deadline_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    review: Mapped[Review] = relationship()
    edited_by: Mapped[User | None] = relationship(foreign_keys=[edited_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    senior_approved_by: Mapped[User | None] = relationship(foreign_keys=[senior_approved_by_id])
    posted_by: Mapped[User | None] = relationship(foreign_keys=[posted_by_id])


class ReplySettings(Base):
    """A platform's reply rules; a platform without a row uses DEFAULT_REPLY_SETTINGS."""

    __tablename__ = "reply_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), unique=True)
    max_chars: Mapped[int] = mapped_column(Integer, default=500)
    allow_links: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    allow_compensation: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_words: Mapped[list] = mapped_column(JSONType, default=list)
    reply_window_days: Mapped[int] = mapped_column(Integer, default=30)
    # The window restarts at a 追评 (follow-up review) when the platform allows explaining it.
    window_from_followup: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
