"""Platform orders: the facts (SKU, batch, warehouse, carrier) a complaint is traced back to."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .catalog import Batch, Product, Shop
from .meta import Base, JSONType, utcnow


class Order(Base):
    __tablename__ = "orders"
    # One row per order line; an order without SKU detail uses sku "".
    __table_args__ = (UniqueConstraint("platform", "platform_order_id", "sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_order_id: Mapped[str] = mapped_column(String(100))
    sku: Mapped[str] = mapped_column(String(100), default="")
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("batches.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    warehouse: Mapped[str | None] = mapped_column(String(100), index=True)
    carrier: Mapped[str | None] = mapped_column(String(100), index=True)
    waybill: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    paid_at: Mapped[dt.datetime | None]
    shipped_at: Mapped[dt.datetime | None]
    signed_at: Mapped[dt.datetime | None]
    raw: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    shop: Mapped[Shop | None] = relationship()
    product: Mapped[Product | None] = relationship()
    batch: Mapped[Batch | None] = relationship()
