"""Integration: real `feedback worker` and `feedback scheduler` processes, with the embedded
SQLite broker (+ SQLite database) and with Redis (+ PostgreSQL); and the kill -9 fault test."""
from __future__ import annotations

import sqlite3
import time

import pytest
import redis

from tests.workflow_servers import WebhookServer

from .procs import Db, insert_reviews, kill9, start, stop, wait_until, write_ini

REDIS_DB = 5


def _assert_pipeline_complete(db: Db, n: int):
    assert db.scalar("SELECT count(*) FROM classifications") == n
    assert db.scalar("SELECT count(DISTINCT review_id) FROM classifications") == n
    # classified exactly once: no row was ever rewritten
    assert db.scalar("SELECT count(*) FROM classifications WHERE updated_at <> created_at") == 0
    complaints = db.scalar("SELECT count(*) FROM classifications WHERE complaint")
    assert complaints > 0
    assert db.scalar("SELECT count(*) FROM ledger_entries") == complaints
    assert db.scalar("SELECT count(DISTINCT review_id) FROM ledger_entries") == complaints
    keys = [r[0] for r in db.rows("SELECT cause_key FROM root_cause_tasks")]
    assert keys and len(keys) == len(set(keys))
    # every complaint of a product cause is evidence of exactly one task per category
    dup = db.scalar("SELECT count(*) FROM (SELECT task_id, ledger_entry_id FROM task_evidence "
                    "GROUP BY task_id, ledger_entry_id HAVING count(*) > 1) d")
    assert dup == 0
    assert db.scalar("SELECT count(*) FROM outbox_jobs WHERE status <> 'done'") == 0


@pytest.fixture
def wf_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("wf_proc")


def test_embedded_default_worker_and_scheduler(backend, fresh_db_url, wf_dir):
    if backend.name != "sqlite":
        pytest.skip("the embedded default is SQLite database + SQLite queue")
    n = 600
    with WebhookServer() as hook:
        ini = write_ini(wf_dir, fresh_db_url, "sqlite", f"sqlite:///{wf_dir}/wf_queue.sqlite?lease=10", hook.url)
        insert_reviews(fresh_db_url, n)
        logs = [wf_dir / "worker.log", wf_dir / "scheduler.log"]
        worker = start(ini, fresh_db_url, "worker", log=logs[0])
        sched = start(ini, fresh_db_url, "scheduler", log=logs[1])
        db = Db(fresh_db_url)
        try:
            wait_until(lambda: db.scalar("SELECT count(*) FROM outbox_jobs WHERE status <> 'done'") == 0
                       and db.scalar("SELECT count(*) FROM classifications") == n, 120,
                       what="all reviews classified", logs=logs)
            _assert_pipeline_complete(db, n)
            fs = db.rows("SELECT severity, status FROM root_cause_tasks WHERE food_safety")
            assert fs and all(sev == "critical" for sev, _ in fs)
            # the food-safety task's robot notification went out from the worker process
            wait_until(lambda: any("食品安全" in r["json"]["text"]["content"] for r in hook.received), 30,
                       what="webhook notification", logs=logs)
            # the worker records the delivery in its own transaction, just after the request
            wait_until(lambda: db.scalar("SELECT count(*) FROM notifications WHERE status = 'sent'") >= 1,
                       30, what="notification marked sent", logs=logs)
        finally:
            stop(sched)
            stop(worker)
            db.close()


@pytest.mark.redis
def test_redis_broker_with_postgresql(backend, fresh_db_url, wf_dir):
    if backend.name != "postgresql":
        pytest.skip("scale-out setup: Redis broker + PostgreSQL")
    r = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        r.ping()
    except redis.ConnectionError as exc:
        pytest.skip(f"Redis not reachable: {exc}")
    r.flushdb()
    n = 600
    ini = write_ini(wf_dir, fresh_db_url, "redis", f"redis://127.0.0.1:6379/{REDIS_DB}")
    logs = [wf_dir / "worker.log", wf_dir / "scheduler.log"]
    db = Db(fresh_db_url)
    # the scheduler first, while no worker runs: the jobs wait in Redis
    insert_reviews(fresh_db_url, n)
    sched = start(ini, fresh_db_url, "scheduler", log=logs[1])
    worker = None
    try:
        wait_until(lambda: db.scalar("SELECT count(*) FROM outbox_jobs WHERE status = 'enqueued'") == 3, 60,
                   what="jobs enqueued to Redis", logs=logs)
        assert any(k.startswith(b"dramatiq:nlp") for k in r.keys("dramatiq:*"))
        worker = start(ini, fresh_db_url, "worker", "--processes", "2", "--threads", "1", log=logs[0])
        wait_until(lambda: db.scalar("SELECT count(*) FROM outbox_jobs WHERE status <> 'done'") == 0, 120,
                   what="all jobs done", logs=logs)
        _assert_pipeline_complete(db, n)
    finally:
        stop(sched)
        if worker is not None:
            stop(worker)
        db.close()
        r.flushdb()


@pytest.mark.slow
def test_kill_minus_nine_mid_import_loses_nothing(backend, fresh_db_url, wf_dir):
    """5,000 reviews; the worker is SIGKILLed mid-way; a new worker finishes: every review
    classified exactly once, no duplicate ledger rows, no duplicate tasks."""
    if backend.name != "sqlite":
        pytest.skip("fault test on the embedded default")
    n = 5000
    ini = write_ini(wf_dir, fresh_db_url, "sqlite", f"sqlite:///{wf_dir}/wf_queue.sqlite?lease=5")
    logs = [wf_dir / "worker1.log", wf_dir / "worker2.log", wf_dir / "scheduler.log"]
    insert_reviews(fresh_db_url, n)
    db = Db(fresh_db_url)
    sched = start(ini, fresh_db_url, "scheduler", log=logs[2])
    worker = start(ini, fresh_db_url, "worker", log=logs[0])
    try:
        wait_until(lambda: db.scalar("SELECT count(*) FROM classifications") >= 1000, 90,
                   interval=0.1, what="a fifth classified", logs=logs)
        kill9(worker)
        at_kill = db.scalar("SELECT count(*) FROM classifications")
        assert at_kill < n, "the worker finished before it could be killed; the test proves nothing"
        time.sleep(1)
        assert db.scalar("SELECT count(*) FROM classifications") == at_kill  # really dead
        with sqlite3.connect(wf_dir / "wf_queue.sqlite") as q:
            leased = q.execute("SELECT count(*) FROM messages WHERE state = 'leased'").fetchone()[0]
        assert leased >= 1, "the killed worker held no message: nothing to re-deliver"
        worker = start(ini, fresh_db_url, "worker", log=logs[1])
        wait_until(lambda: db.scalar("SELECT count(*) FROM outbox_jobs WHERE status <> 'done'") == 0, 150,
                   what="all jobs done after the restart", logs=logs)
        _assert_pipeline_complete(db, n)
    finally:
        stop(sched)
        stop(worker)
        db.close()
