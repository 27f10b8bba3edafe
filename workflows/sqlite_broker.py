"""A durable dramatiq broker in one SQLite file: the embedded default (no extra service).

Why this and not Redis or an in-memory queue on a single machine: the queue survives any crash.
Every message is a row in ``messages`` (WAL, ``synchronous=FULL``), and delivery is a *lease*:

* ``enqueue``  INSERT (state ``ready``, ``visible_at`` = now, or now + delay for retries);
* ``consume``  one ``UPDATE ... RETURNING`` claims the oldest visible rows: state ``leased``,
  ``owner`` = this consumer, ``visible_at`` = now + lease. A row whose lease has passed is visible
  again, so the messages of a worker that was ``kill -9``ed are re-delivered after at most one lease
  (default 30 s), with no heartbeat bookkeeping or maintenance pass;
* while a worker holds messages it renews their leases every lease/3 s, so a long actor is never
  handed to a second worker while it still runs (the failure mode of dramatiq issue #692);
* ``ack`` DELETEs the row; ``nack`` moves it to state ``dead`` (the dead-letter table, kept for
  inspection); ``requeue`` (graceful shutdown) makes it visible at once. A row delivered more than
  ``max_deliveries`` times (a message that keeps killing its worker) is moved to ``dead``.

Several processes (the worker processes, the scheduler, the web app) share the file: SQLite
serializes the short claim/ack transactions, readers never block. Delivery is at-least-once;
the actors are idempotent and the database outbox (workflows/outbox.py) stays the source of truth.

URL: ``sqlite:////abs/path/queue.sqlite?lease=30&poll=0.2&max_deliveries=10``.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections import deque
from typing import Optional
from urllib.parse import parse_qs, urlsplit

from dramatiq.broker import Broker, Consumer, MessageProxy
from dramatiq.errors import QueueJoinTimeout, QueueNotFound
from dramatiq.message import Message

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    data BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'ready',      -- ready | leased | dead
    visible_at REAL NOT NULL,                 -- deliverable from (eta, or lease expiry)
    owner TEXT,
    deliveries INTEGER NOT NULL DEFAULT 0,
    enqueued_at REAL NOT NULL,
    dead_at REAL
);
CREATE INDEX IF NOT EXISTS ix_messages_queue_visible ON messages (queue, state, visible_at, id);
"""


def parse_url(url: str) -> tuple[str, dict]:
    """sqlite:///relative or sqlite:////absolute, with options as the query string."""
    if not url.startswith("sqlite:///"):
        raise ValueError(f"not a sqlite URL: {url!r}")
    parts = urlsplit(url)
    path = url[len("sqlite:///"):].split("?", 1)[0]
    opts = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return path, opts


class SQLiteBroker(Broker):
    def __init__(self, path: str, *, lease_seconds: float = 30.0, poll_interval: float = 0.2,
                 max_deliveries: int = 10, middleware=None):
        super().__init__(middleware=middleware)
        self.path = os.path.abspath(path)
        self.lease_seconds = float(lease_seconds)
        self.poll_interval = float(poll_interval)
        self.max_deliveries = int(max_deliveries)
        self.queues = {}
        self._local = threading.local()
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        conn = self.connect()
        conn.executescript(SCHEMA)

    @classmethod
    def from_url(cls, url: str, **kw) -> SQLiteBroker:
        path, opts = parse_url(url)
        for name, key, conv in (("lease", "lease_seconds", float), ("poll", "poll_interval", float),
                                ("max_deliveries", "max_deliveries", int)):
            if name in opts:
                kw[key] = conv(opts[name])
        return cls(path, **kw)

    def connect(self) -> sqlite3.Connection:
        """A connection for this thread (and process: a forked child opens its own)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = self.new_connection()
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def new_connection(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=60000")
        return conn

    # -- Broker API --
    def declare_queue(self, queue_name: str) -> None:
        if queue_name in self.queues:
            return
        self.emit_before("declare_queue", queue_name)
        self.queues[queue_name] = None
        self.emit_after("declare_queue", queue_name)

    def enqueue(self, message: Message, *, delay: Optional[int] = None) -> Message:
        if message.queue_name not in self.queues:
            raise QueueNotFound(message.queue_name)
        self.emit_before("enqueue", message, delay)
        now = time.time()
        visible = now + (delay or 0) / 1000.0
        self.connect().execute(
            "INSERT INTO messages (queue, message_id, actor, data, state, visible_at, enqueued_at)"
            " VALUES (?, ?, ?, ?, 'ready', ?, ?)",
            (message.queue_name, message.message_id, message.actor_name, message.encode(), visible, now))
        self.emit_after("enqueue", message, delay)
        return message

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 30000) -> Consumer:
        if queue_name not in self.queues:
            raise QueueNotFound(queue_name)
        return _SQLiteConsumer(self, queue_name, prefetch, timeout)

    def flush(self, queue_name: str) -> None:
        self.connect().execute("DELETE FROM messages WHERE queue = ?", (queue_name,))

    def flush_all(self) -> None:
        self.connect().execute("DELETE FROM messages")

    def pending_count(self, queue_name: str | None = None) -> int:
        sql = "SELECT count(*) FROM messages WHERE state != 'dead'"
        args: tuple = ()
        if queue_name:
            sql, args = sql + " AND queue = ?", (queue_name,)
        return self.connect().execute(sql, args).fetchone()[0]

    def dead_letters(self, queue_name: str | None = None) -> list[Message]:
        sql = "SELECT data FROM messages WHERE state = 'dead'"
        args: tuple = ()
        if queue_name:
            sql, args = sql + " AND queue = ?", (queue_name,)
        return [Message.decode(r[0]) for r in self.connect().execute(sql + " ORDER BY id", args)]

    def join(self, queue_name: str, *, timeout: Optional[int] = None) -> None:
        """Wait until no message of the queue is ready or leased (tests)."""
        deadline = timeout and time.monotonic() + timeout / 1000
        while self.pending_count(queue_name):
            if deadline and time.monotonic() > deadline:
                raise QueueJoinTimeout(queue_name)
            time.sleep(self.poll_interval)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _SQLiteMessageProxy(MessageProxy):
    def __init__(self, message: Message, row_id: int):
        super().__init__(message)
        self._row_id = row_id


class _SQLiteConsumer(Consumer):
    def __init__(self, broker: SQLiteBroker, queue_name: str, prefetch: int, timeout: int):
        self.broker = broker
        self.queue_name = queue_name
        self.prefetch = max(1, prefetch)
        self.timeout = timeout
        self.owner = uuid.uuid4().hex
        self.conn = broker.new_connection()
        self.lock = threading.Lock()
        self.held: set[int] = set()  # leased by us, not yet acked (buffered or being processed)
        self.buffer: deque = deque()
        self.last_renew = time.monotonic()

    def _renew(self) -> None:
        if time.monotonic() - self.last_renew < self.broker.lease_seconds / 3:
            return
        self.last_renew = time.monotonic()
        with self.lock:
            if self.held:
                self.conn.execute(
                    "UPDATE messages SET visible_at = ? WHERE owner = ? AND state = 'leased'",
                    (time.time() + self.broker.lease_seconds, self.owner))

    def _claim(self, n: int) -> None:
        now = time.time()
        with self.lock:
            # A plain read first: an idle poll takes no write lock.
            if not self.conn.execute(
                    "SELECT 1 FROM messages WHERE queue = ? AND state != 'dead' AND visible_at <= ? LIMIT 1",
                    (self.queue_name, now)).fetchone():
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                rows = self.conn.execute(
                    "UPDATE messages SET state = 'leased', owner = ?, visible_at = ?, deliveries = deliveries + 1"
                    " WHERE id IN (SELECT id FROM messages WHERE queue = ? AND state != 'dead' AND visible_at <= ?"
                    " ORDER BY id LIMIT ?) RETURNING id, data, deliveries",
                    (self.owner, now + self.broker.lease_seconds, self.queue_name, now, n)).fetchall()
                poison = [r[0] for r in rows if r[2] > self.broker.max_deliveries]
                if poison:
                    self.conn.executemany(
                        "UPDATE messages SET state = 'dead', owner = NULL, dead_at = ? WHERE id = ?",
                        [(now, i) for i in poison])
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        for row_id, data, deliveries in sorted(rows):
            if deliveries > self.broker.max_deliveries:
                continue
            self.held.add(row_id)
            self.buffer.append(_SQLiteMessageProxy(Message.decode(data), row_id))

    def __next__(self):
        deadline = time.monotonic() + self.timeout / 1000
        while True:
            self._renew()
            if self.buffer:
                return self.buffer.popleft()
            room = self.prefetch - len(self.held)
            if room > 0:
                self._claim(room)
                if self.buffer:
                    return self.buffer.popleft()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(self.broker.poll_interval, remaining))

    def ack(self, message: _SQLiteMessageProxy) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM messages WHERE id = ?", (message._row_id,))
            self.held.discard(message._row_id)

    def nack(self, message: _SQLiteMessageProxy) -> None:
        with self.lock:
            self.conn.execute("UPDATE messages SET state = 'dead', owner = NULL, dead_at = ? WHERE id = ?",
                              (time.time(), message._row_id))
            self.held.discard(message._row_id)

    def requeue(self, messages) -> None:
        ids = [m._row_id for m in messages]
        with self.lock:
            self.conn.executemany(
                "UPDATE messages SET state = 'ready', owner = NULL, visible_at = ? WHERE id = ? AND owner = ?",
                [(time.time(), i, self.owner) for i in ids])
            for i in ids:
                self.held.discard(i)

    def close(self) -> None:
        with self.lock:
            # Buffered but never handed to a worker: make them visible again right away.
            ids = [m._row_id for m in self.buffer]
            self.buffer.clear()
            try:
                if ids:
                    self.conn.executemany(
                        "UPDATE messages SET state = 'ready', owner = NULL, visible_at = ? WHERE id = ? AND owner = ?",
                        [(time.time(), i, self.owner) for i in ids])
                self.conn.close()
            except sqlite3.Error:
                pass
