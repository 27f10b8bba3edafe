"""Models and the database plumbing shared by the web app, the CLI and the workers."""
from __future__ import annotations

import os

import zope.sqlalchemy
from sqlalchemy import engine_from_config, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from .accounts import ApiToken, LoginAttempt, User  # noqa: F401
from .catalog import PLATFORM_LABELS, PLATFORMS, Batch, Product, Shop  # noqa: F401
from .classification import CATEGORIES, Classification, LabelCorrection  # noqa: F401
from .exports import ExportJob  # noqa: F401
from .feedback_items import Review, Ticket  # noqa: F401
from .imports import ImportBatch, RejectedRow  # noqa: F401
from .ledger import LedgerCategory, LedgerEntry, LedgerWeekCount  # noqa: F401
from .meta import Base  # noqa: F401
from .orders import Order  # noqa: F401
from .outbox import OutboxJob  # noqa: F401
from .replies import ReplyDraft, ReplySettings, ReplyTemplate  # noqa: F401
from .tasks import (  # noqa: F401
    Department,
    Notification,
    RootCauseTask,
    RoutingRule,
    TaskEvent,
    TaskEvidence,
)

configure_mappers()

DB_URL_ENV = "FEEDBACK_DB_URL"


def database_url(settings: dict) -> str:
    """FEEDBACK_DB_URL, when set, wins over the ini file (scripts point it at scratch databases)."""
    return os.environ.get(DB_URL_ENV) or settings["sqlalchemy.url"]


def get_engine(settings: dict, prefix: str = "sqlalchemy.") -> Engine:
    settings = dict(settings)
    settings[prefix + "url"] = database_url(settings)
    url = settings[prefix + "url"]
    if url.startswith("sqlite"):
        _prepare_sqlite_dir(url)
    engine = engine_from_config(settings, prefix)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine)
    return engine


def _prepare_sqlite_dir(url: str) -> None:
    path = url.split("///", 1)[-1] if "///" in url else ""
    if path and path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _tune_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, a busy timeout and FK enforcement. Transactions take the write
    lock up front (BEGIN IMMEDIATE), so two writers queue on the busy timeout instead of failing
    on a lock upgrade; read-only work opts out with the `sqlite_deferred` execution option."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        deferred = conn.get_execution_options().get("sqlite_deferred")
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


def get_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def get_tm_session(session_factory, transaction_manager, request=None) -> Session:
    """A session joined to the transaction manager: committed or rolled back with the request."""
    dbsession = session_factory(info={"request": request})
    zope.sqlalchemy.register(dbsession, transaction_manager=transaction_manager)
    return dbsession


def includeme(config):
    settings = config.get_settings()
    settings["tm.manager_hook"] = "pyramid_tm.explicit_manager"
    config.include("pyramid_tm")
    config.include("pyramid_retry")

    engine = get_engine(settings)
    session_factory = get_session_factory(engine)
    read_session_factory = get_session_factory(engine.execution_options(sqlite_deferred=True))
    config.registry["dbsession_factory"] = session_factory
    config.registry["db_engine"] = engine

    def dbsession(request):
        # A test may hand in its own session through the environ (one savepoint per test).
        session = request.environ.get("app.dbsession")
        if session is None:
            # Safe methods only read: on SQLite they must not queue behind the writers.
            reads_only = request.method in ("GET", "HEAD", "OPTIONS")
            factory = read_session_factory if reads_only else session_factory
            session = get_tm_session(factory, request.tm, request=request)
        return session

    config.add_request_method(dbsession, reify=True)
