"""Reviews and after-sales tickets: the texts the system reads."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .catalog import Product, Shop
from .meta import Base, JSONType, utcnow
from .orders import Order

RATING_LEVELS = ("good", "neutral", "bad")  # 好评 / 中评 / 差评
BUYER_TIERS = ("new", "returning")
TICKET_TYPES = ("refund", "return", "exchange", "resend", "complaint")  # 退款/退货/换货/补发/投诉


class Review(Base):
    __tablename__ = "reviews"
    # dedupe_key is "id:<external id>" or "h:<content hash>": one constraint makes concurrent
    # imports of overlapping files safe on every backend.
    __table_args__ = (
        UniqueConstraint("platform", "dedupe_key"),
        Index("ix_reviews_reviewed_at_id", "reviewed_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    platform_order_id: Mapped[str | None] = mapped_column(String(100), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str | None] = mapped_column(String(100), index=True)
    rating_stars: Mapped[int | None] = mapped_column(SmallInteger)
    rating_level: Mapped[str | None] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    followup_text: Mapped[str | None] = mapped_column(Text)
    followup_at: Mapped[dt.datetime | None]
    image_count: Mapped[int] = mapped_column(Integer, default=0)
    buyer_nick: Mapped[str | None] = mapped_column(String(100))
    buyer_tier: Mapped[str | None] = mapped_column(String(16))
    reviewed_at: Mapped[dt.datetime | None]
    raw: Mapped[dict | None] = mapped_column(JSONType)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    shop: Mapped[Shop | None] = relationship()
    order: Mapped[Order | None] = relationship()
    product: Mapped[Product | None] = relationship()


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (UniqueConstraint("platform", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(64))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    platform_order_id: Mapped[str | None] = mapped_column(String(100), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    sku: Mapped[str | None] = mapped_column(String(100), index=True)
    ticket_type: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    status: Mapped[str | None] = mapped_column(String(50))
    buyer_nick: Mapped[str | None] = mapped_column(String(100))
    opened_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    raw: Mapped[dict | None] = mapped_column(JSONType)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order: Mapped[Order | None] = relationship()
