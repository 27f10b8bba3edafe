"""Declarative base, naming convention and the column types shared by all models."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic autogenerate and `alembic check` agree on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL, plain JSON (text) on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """System timestamps are naive UTC; platform times are stored as exported (shop local time)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


#: the shops are in China: review and order times arrive in this time already
SHOP_UTC_OFFSET = dt.timedelta(hours=8)


def shop_now() -> dt.datetime:
    """Now on the shop's clock (naive), the clock of review and order times and reply deadlines."""
    return utcnow() + SHOP_UTC_OFFSET


def shop_today() -> dt.date:
    """Today in the shop's time: what "this week" and "上周" mean to its people (the server's own
    date is UTC, a day behind every morning before 8 o'clock)."""
    return shop_now().date()


def shop_time(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A system timestamp (naive UTC) in the shop's time, as people read the review times."""
    if value is None:
        return "—"
    return (value + SHOP_UTC_OFFSET).strftime(fmt)
