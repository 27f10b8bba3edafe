"""The actors through dramatiq's StubBroker and an in-process Worker, on a committed database
of the test's own: the same message twice changes nothing; the outbox job ends done; periodic
jobs are registered."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from feedback.models import Classification, LedgerEntry, OutboxJob, RootCauseTask, TaskEvidence, get_engine
from feedback.models import get_session_factory
from feedback.models.ledger import COUNTED_STATUSES

from .procs import insert_reviews


def counts(url):
    engine = get_engine({"sqlalchemy.url": url})
    with get_session_factory(engine)() as s:
        out = {m.__name__: s.execute(select(func.count()).select_from(m)).scalar_one()
               for m in (Classification, LedgerEntry, RootCauseTask, TaskEvidence)}
        out["stamps"] = sorted(s.execute(select(Classification.id, Classification.updated_at)).all())
        out["jobs"] = sorted(s.execute(select(OutboxJob.id, OutboxJob.status)).all())
    engine.dispose()
    return out


def test_same_message_twice_through_the_broker(stub_env, fresh_db_url):
    from workflows import runtime
    from workflows.actors import classify_reviews
    from workflows.outbox import sweep_outbox

    pytest.importorskip("nlp")
    ids = insert_reviews(fresh_db_url, 120)
    assert sweep_outbox(runtime.session_factory(), stub_env).enqueued == 1
    stub_env.join("nlp", timeout=60_000)
    first = counts(fresh_db_url)
    assert first["Classification"] == 120 and first["LedgerEntry"] > 0 and first["RootCauseTask"] > 0
    assert [status for _, status in first["jobs"]] == ["done"]
    (job_id, _), = first["jobs"]
    # the same message again (a redelivery), and once more without the outbox id
    classify_reviews.send(ids=ids, outbox_id=job_id)
    classify_reviews.send(ids=ids)
    stub_env.join("nlp", timeout=60_000)
    assert counts(fresh_db_url) == first


def test_periodic_checks_run_as_actors(stub_env, fresh_db_url):
    from workflows.schedule import JOBS, build_scheduler, send_actor

    names = {j.id for j in JOBS}
    assert {"outbox_sweep", "pending_work_sweep", "sla_check", "verification_check",
            "notification_retries"} <= names
    scheduler = build_scheduler()
    assert {j.id for j in scheduler.get_jobs()} == names
    for actor in ("sweep_pending_work", "check_sla", "verify_tasks", "retry_notifications"):
        send_actor(actor)()
    stub_env.join("default", timeout=30_000)
    stub_env.join("notify", timeout=30_000)


def test_new_complaints_get_reply_drafts_once(stub_env, fresh_db_url):
    """classified → ledger → the scheduled draft_replies actor drafts each complaint once."""
    from feedback.models import ReplyDraft
    from workflows import runtime
    from workflows.actors import draft_replies
    from workflows.outbox import sweep_outbox
    from workflows.schedule import JOBS, load_extra_jobs

    pytest.importorskip("nlp")
    load_extra_jobs()
    assert "reply_drafts" in {j.id for j in JOBS}
    insert_reviews(fresh_db_url, 60)
    sweep_outbox(runtime.session_factory(), stub_env)
    stub_env.join("nlp", timeout=60_000)
    draft_replies.send()
    stub_env.join("default", timeout=60_000)
    draft_replies.send()  # a second run (or a redelivery) adds nothing
    stub_env.join("default", timeout=60_000)
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    with get_session_factory(engine)() as s:
        drafts = s.execute(select(ReplyDraft.review_id)).scalars().all()
        complaints = s.execute(select(func.count()).select_from(LedgerEntry)
                               .where(LedgerEntry.review_id.is_not(None),
                                      LedgerEntry.status.in_(COUNTED_STATUSES))).scalar_one()
    engine.dispose()
    assert drafts and len(drafts) == len(set(drafts))
    assert len(drafts) >= complaints  # every complaint (plus mid/low ratings without one) has a draft
