"""The outbox sweeper: broker down -> job stays pending -> enqueued later; stuck jobs re-sent;
the pending-work sweep finds items that never had a job."""
from __future__ import annotations

import datetime as dt

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker
from sqlalchemy import select

from feedback.models import Classification, OutboxJob
from feedback.models.meta import utcnow
from feedback.services.outbox import request_classification
from feedback.services.workflow_config import WorkflowConfig
from tests import workflow_helpers as h


@pytest.fixture
def swap_broker():
    import workflows.actors  # noqa: F401
    from workflows.broker import use_broker

    old = dramatiq.get_broker()
    yield lambda b: use_broker(b)
    use_broker(old)


def stub():
    from workflows.broker import make_broker

    return make_broker("stub")


def test_broker_down_job_stays_pending_then_goes_out(dbsession, swap_broker):
    from workflows.outbox import sweep_outbox

    r = h.review(dbsession, "LOG 慢")
    request_classification(dbsession, [r.id])
    dbsession.flush()
    down = swap_broker(RedisBroker(url="redis://127.0.0.1:1/0"))  # nothing listens on port 1
    res = sweep_outbox(h.savepoint_factory(dbsession), down)
    assert res.enqueued == 0 and res.error
    job = dbsession.execute(select(OutboxJob)).scalar_one()
    dbsession.refresh(job)
    assert job.status == "pending" and job.attempts == 0 and "enqueue failed" in job.last_error
    up = swap_broker(stub())
    res = sweep_outbox(h.savepoint_factory(dbsession), up)
    dbsession.refresh(job)
    assert res.enqueued == 1 and job.status == "enqueued" and job.attempts == 1
    (data,) = list(up.queues["nlp"].queue)
    m = dramatiq.Message.decode(data)
    assert m.actor_name == "classify_reviews" and m.kwargs == {"ids": [r.id], "outbox_id": job.id}
    # a second sweep sends nothing (not stuck yet)
    assert sweep_outbox(h.savepoint_factory(dbsession), up).enqueued == 0
    assert up.queues["nlp"].qsize() == 1


def test_stuck_job_is_sent_again_then_given_up(dbsession, swap_broker):
    from workflows.outbox import sweep_outbox

    cfg = WorkflowConfig.from_settings({"feedback.outbox_stuck_seconds": "60", "feedback.outbox_max_attempts": "2"})
    b = swap_broker(stub())
    job = OutboxJob(actor_name="classify_reviews", payload={"ids": [1]}, status="pending")
    dbsession.add(job)
    dbsession.flush()
    t = utcnow()
    sweep_outbox(h.savepoint_factory(dbsession), b, cfg, now=t)
    assert sweep_outbox(h.savepoint_factory(dbsession), b, cfg, now=t + dt.timedelta(seconds=30)).reenqueued == 0
    assert sweep_outbox(h.savepoint_factory(dbsession), b, cfg, now=t + dt.timedelta(seconds=61)).reenqueued == 1
    dbsession.refresh(job)
    assert job.attempts == 2
    assert sweep_outbox(h.savepoint_factory(dbsession), b, cfg, now=t + dt.timedelta(seconds=200)).failed == 1
    dbsession.refresh(job)
    assert job.status == "failed" and "放弃" in job.last_error
    assert b.queues["nlp"].qsize() == 2


def test_unknown_actor_fails_visibly(dbsession, swap_broker):
    from workflows.outbox import sweep_outbox

    job = OutboxJob(actor_name="no_such_actor", payload={}, status="pending")
    dbsession.add(job)
    dbsession.flush()
    assert sweep_outbox(h.savepoint_factory(dbsession), swap_broker(stub())).failed == 1
    dbsession.refresh(job)
    assert job.status == "failed" and "unknown actor" in job.last_error


def test_pending_work_sweep_finds_items_without_jobs(dbsession):
    from workflows.outbox import sweep_pending_work

    cfg = WorkflowConfig.from_settings({"feedback.pending_grace_seconds": "0"})
    r1 = h.review(dbsession, "LOG 慢")
    r2 = h.review(dbsession, "好")
    dbsession.add(Classification(review_id=r2.id, model_version="m", complaint=False,
                                 updated_at=utcnow() + dt.timedelta(hours=1)))
    dbsession.flush()
    later = utcnow() + dt.timedelta(seconds=5)
    assert sweep_pending_work(dbsession, cfg, now=later) == 1
    job = dbsession.execute(select(OutboxJob)).scalar_one()
    assert job.actor_name == "classify_reviews" and job.payload == {"ids": [r1.id]}
    # while that job is in flight, nothing more is added
    assert sweep_pending_work(dbsession, cfg, now=later) == 0
    job.status = "done"
    dbsession.flush()
    assert sweep_pending_work(dbsession, cfg, now=later) == 1  # r1 still unclassified: again


def test_complaint_without_ledger_entry_gets_a_ledger_job(dbsession):
    from workflows.outbox import sweep_pending_work

    cfg = WorkflowConfig.from_settings({"feedback.pending_grace_seconds": "0"})
    r = h.review(dbsession, "LOG 慢")
    dbsession.add(Classification(review_id=r.id, model_version="m", complaint=True, categories=["logistics"],
                                 updated_at=utcnow() + dt.timedelta(hours=1)))
    dbsession.flush()
    sweep_pending_work(dbsession, cfg, now=utcnow() + dt.timedelta(hours=2))
    jobs = {j.actor_name: j.payload for j in dbsession.execute(select(OutboxJob)).scalars()}
    assert jobs == {"update_ledger": {"review_ids": [r.id], "ticket_ids": []}}
