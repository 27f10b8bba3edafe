"""Shops, products and production batches."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .meta import Base, utcnow

# Platform codes used everywhere (import, ledger, reply rules), and their names in the UI.
PLATFORMS = ("taobao", "tmall", "jd", "pdd", "meituan", "eleme", "douyin", "kuaishou", "youzan", "jddj", "other")
PLATFORM_LABELS = {
    "taobao": "淘宝", "tmall": "天猫", "jd": "京东", "pdd": "拼多多", "meituan": "美团", "eleme": "饿了么",
    "douyin": "抖音", "kuaishou": "快手", "youzan": "有赞", "jddj": "京东到家", "other": "其他",
}
# Platforms that share one order system: a Tmall review's order can have a Taobao refund.
_ORDER_SYSTEMS = {"tmall": "taobao"}


def order_system(platform: str) -> str:
    """The order system a platform's order numbers belong to (one order: one system + number)."""
    return _ORDER_SYSTEMS.get(platform, platform)


def same_order_platforms(platform: str) -> tuple[str, ...]:
    """The platforms whose order numbers are this platform's (itself included)."""
    return tuple(p for p in PLATFORMS if order_system(p) == order_system(platform)) or (platform,)


class Shop(Base):
    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("platform", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    category: Mapped[str | None] = mapped_column(String(100))
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    batches: Mapped[list[Batch]] = relationship(back_populates="product")


class Batch(Base):
    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("product_id", "batch_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    batch_code: Mapped[str] = mapped_column(String(100))
    production_date: Mapped[dt.date | None] = mapped_column(Date)
    expiry_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(back_populates="batches")
