"""The dramatiq broker, chosen by the ini (imported before any actor is declared).

``feedback.broker``:
  sqlite  embedded default: a durable SQLite-file queue (workflows/sqlite_broker.py) at
          ``feedback.broker_url`` (sqlite:///path/queue.sqlite?lease=30)
  redis   dramatiq's RedisBroker at ``feedback.broker_url`` (redis://host:6379/0); workers may
          run on other machines. Redis must run with appendonly yes and maxmemory-policy noeviction.
  stub    dramatiq's StubBroker, in-memory, for tests
The environment variables FEEDBACK_BROKER and FEEDBACK_BROKER_URL override the ini (tests and
scripts point them at scratch queues), like FEEDBACK_DB_URL does for the database.
"""
from __future__ import annotations

import os

import dramatiq
from dramatiq.broker import Broker

from . import runtime

BROKER_ENV = "FEEDBACK_BROKER"
BROKER_URL_ENV = "FEEDBACK_BROKER_URL"


def broker_settings(settings: dict | None = None) -> tuple[str, str | None]:
    settings = runtime.settings() if settings is None else settings
    kind = os.environ.get(BROKER_ENV) or settings.get("feedback.broker") or "sqlite"
    url = os.environ.get(BROKER_URL_ENV) or settings.get("feedback.broker_url")
    return kind.strip(), (url.strip() if url else None)


def make_broker(kind: str, url: str | None = None) -> Broker:
    if kind == "stub":
        from dramatiq.brokers.stub import StubBroker

        broker = StubBroker()
        broker.emit_after("process_boot")
        return broker
    if kind == "sqlite":
        from .sqlite_broker import SQLiteBroker

        return SQLiteBroker.from_url(url or "sqlite:///var/queue.sqlite")
    if kind == "redis":
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(url=url or "redis://127.0.0.1:6379/0")
    raise ValueError(f"未知的 feedback.broker (unknown broker): {kind!r}; use sqlite, redis or stub")


def use_broker(new: Broker) -> Broker:
    """Make ``new`` the global broker and move every declared actor onto it (tests swap brokers)."""
    old = dramatiq.get_broker() if dramatiq.broker.global_broker is not None else None
    dramatiq.set_broker(new)
    if old is not None and old is not new:
        for actor in list(old.actors.values()):
            actor.broker = new
            new.declare_actor(actor)
    return new


def setup(settings: dict | None = None) -> Broker:
    kind, url = broker_settings(settings)
    return use_broker(make_broker(kind, url))


broker = setup()
