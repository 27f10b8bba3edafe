"""The embedded durable broker: leases, re-delivery after a lost worker, dead letters, delays,
and a real dramatiq Worker consuming from it."""
from __future__ import annotations

import threading
import time

import dramatiq
import pytest
from dramatiq.message import Message

from workflows.sqlite_broker import SQLiteBroker, parse_url


@pytest.fixture
def broker(tmp_path):
    b = SQLiteBroker(str(tmp_path / "wf_queue.sqlite"), lease_seconds=1.0, poll_interval=0.02)
    b.declare_queue("q")
    yield b
    b.close()


def msg(n=0, queue="q"):
    return Message(queue_name=queue, actor_name="act", args=(n,), kwargs={}, options={})


def test_parse_url():
    assert parse_url("sqlite:////tmp/x/q.sqlite?lease=5") == ("/tmp/x/q.sqlite", {"lease": "5"})
    b = SQLiteBroker.from_url("sqlite:////tmp/wf_parse/q.sqlite?lease=7&poll=0.5")
    assert (b.lease_seconds, b.poll_interval) == (7.0, 0.5)
    with pytest.raises(ValueError):
        parse_url("redis://x")


def test_ack_removes_and_fifo_order(broker):
    for n in range(3):
        broker.enqueue(msg(n))
    c = broker.consume("q", prefetch=3, timeout=100)
    got = [next(c) for _ in range(3)]
    assert [m.args[0] for m in got] == [0, 1, 2]
    assert next(c) is None  # nothing else visible
    for m in got:
        c.ack(m)
    assert broker.pending_count("q") == 0
    c.close()


def test_expired_lease_is_redelivered_to_another_consumer(broker):
    broker.enqueue(msg(42))
    dead_worker = broker.consume("q", prefetch=1, timeout=50)
    m = next(dead_worker)
    assert m.args == (42,)
    # the "worker" dies: it never acks and never renews
    other = broker.consume("q", prefetch=1, timeout=50)
    assert next(other) is None  # leased: invisible while the lease runs
    time.sleep(1.1)
    again = next(broker.consume("q", prefetch=1, timeout=200))
    assert again.args == (42,) and again.message_id == m.message_id


def test_leases_are_renewed_while_the_worker_lives(broker):
    broker.enqueue(msg(1))
    c = broker.consume("q", prefetch=1, timeout=50)
    m = next(c)
    other = broker.consume("q", prefetch=1, timeout=50)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:  # the consumer thread polls; each poll may renew
        assert next(c) is None
        assert next(other) is None
    c.ack(m)
    assert broker.pending_count() == 0


def test_nack_dead_letters_and_delay(broker):
    broker.enqueue(msg(1))
    c = broker.consume("q", prefetch=1, timeout=50)
    c.nack(next(c))
    assert broker.pending_count("q") == 0 and [m.args for m in broker.dead_letters("q")] == [(1,)]
    broker.enqueue(msg(2), delay=400)
    assert next(c) is None
    time.sleep(0.45)
    assert next(broker.consume("q", prefetch=1, timeout=200)).args == (2,)


def test_poison_message_is_dead_lettered_after_max_deliveries(tmp_path):
    b = SQLiteBroker(str(tmp_path / "q.sqlite"), lease_seconds=0.05, poll_interval=0.01, max_deliveries=2)
    b.declare_queue("q")
    b.enqueue(msg(9))
    for _ in range(2):
        assert next(b.consume("q", prefetch=1, timeout=300)) is not None
        time.sleep(0.06)
    assert next(b.consume("q", prefetch=1, timeout=100)) is None
    assert len(b.dead_letters("q")) == 1


def test_requeue_on_shutdown_makes_messages_visible_at_once(broker):
    broker.enqueue(msg(5))
    c = broker.consume("q", prefetch=1, timeout=50)
    m = next(c)
    c.requeue([m])
    assert next(broker.consume("q", prefetch=1, timeout=100)).args == (5,)


def test_concurrent_consumers_never_share_a_message(tmp_path):
    # (with a production-like lease: a 1 s lease on a loaded machine may legitimately expire)
    broker = SQLiteBroker(str(tmp_path / "c.sqlite"), lease_seconds=30, poll_interval=0.02)
    broker.declare_queue("q")
    n = 200
    for i in range(n):
        broker.enqueue(msg(i))
    seen, lock = [], threading.Lock()

    def consume():
        c = broker.consume("q", prefetch=4, timeout=100)
        while True:
            m = next(c)
            if m is None:
                if broker.pending_count("q") == 0:
                    return
                continue
            with lock:
                seen.append(m.args[0])
            c.ack(m)

    threads = [threading.Thread(target=consume) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(seen) == list(range(n))


def test_real_dramatiq_worker_with_retries(tmp_path):
    b = SQLiteBroker(str(tmp_path / "w.sqlite"), lease_seconds=5, poll_interval=0.02)
    calls = []

    @dramatiq.actor(broker=b, queue_name="wq", max_retries=2, min_backoff=10, max_backoff=50)
    def flaky(n):
        calls.append(n)
        if len(calls) < 2:
            raise RuntimeError("first attempt fails")

    flaky.send(7)
    worker = dramatiq.Worker(b, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        b.join("wq", timeout=10_000)
    finally:
        worker.stop()
    assert calls == [7, 7] and b.pending_count() == 0 and b.dead_letters() == []
