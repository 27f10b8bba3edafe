"""Low-confidence "not a complaint" texts (ledger status ``unsure``): in the triage queue, in no
count, export or root-cause task until a manager confirms them. Both backends."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from feedback.models import Classification, LedgerEntry, OutboxJob, RootCauseTask, TaskEvidence
from feedback.models.meta import utcnow
from feedback.services import ledger_counts
from feedback.services.exports.ledger import count_ledger
from feedback.services.exports.period import period_for
from feedback.services.ledger import LedgerFilters, LedgerQuery
from feedback.services.ledger_stats import LedgerStats
from feedback.services.pipeline import classify_and_ledger, resync_ledger
from feedback.services.triage import Filters, TriageService
from feedback.services.workflow_config import WorkflowConfig
from tests import workflow_helpers as h
from tests.functional import web_factories as wf

CFG = WorkflowConfig()


def run(session, ids, force=False):
    return classify_and_ledger(h.savepoint_factory(session), h.FakeClassifier(), "review", ids, CFG, force=force)


def entry_of(session, review) -> LedgerEntry | None:
    return session.execute(select(LedgerEntry).where(LedgerEntry.review_id == review.id)).scalar_one_or_none()


def queue_ids(session, **filters) -> list[int]:
    return [r.entry.id for r in TriageService(session).page(Filters(**filters), limit=200, with_count=False).rows]


@pytest.fixture
def lot(dbsession):
    wf.departments(dbsession)
    p = h.product(dbsession)
    return p, h.batch(dbsession, p)


def test_unsure_text_is_triaged_but_counted_nowhere(dbsession, lot):
    o = h.order(dbsession, *lot)
    unsure = [h.review(dbsession, f"UNSURE 还行吧 {i}", o=o, at=h.T0 + dt.timedelta(hours=i)) for i in range(3)]
    sure_not = h.review(dbsession, "很好吃", o=o)
    complaint = h.review(dbsession, "LOG 太慢", o=o, at=h.T0 - dt.timedelta(days=1))
    res = run(dbsession, [r.id for r in unsure] + [sure_not.id, complaint.id])
    assert res.ledger_entries == 1  # only the complaint goes on to grouping

    entries = [entry_of(dbsession, r) for r in unsure]
    assert {e.status for e in entries} == {"unsure"}
    assert entry_of(dbsession, sure_not) is None  # a confident "not a complaint" has no entry
    e = entries[0]
    assert e.primary_category == "taste" and [c.category for c in e.categories] == ["taste"]  # best score
    assert (e.sku, e.batch_code) == (lot[0].sku, lot[1].batch_code)  # the facts are there for the manager

    # triage: pending (the default) holds them in the low-confidence tier, before plain complaints
    ids = queue_ids(dbsession)
    c_entry = entry_of(dbsession, complaint)
    assert ids == [entries[2].id, entries[1].id, entries[0].id, c_entry.id]
    page = TriageService(dbsession).page(Filters(), limit=2)
    assert [r.tier for r in page.rows] == [1, 1] and page.count == 4
    assert queue_ids(dbsession, status="unsure") == [entries[2].id, entries[1].id, entries[0].id]
    assert queue_ids(dbsession, status="new") == [c_entry.id]

    # ledger, its weekly counts, exports, grouping: only the complaint
    everything = LedgerFilters()
    assert LedgerQuery(dbsession).total(everything) == 1
    assert [e.id for e in LedgerQuery(dbsession).page(everything).items] == [c_entry.id]
    for stats in (LedgerStats(dbsession), LedgerStats(dbsession, use_week_counts=False)):
        assert stats.total(everything) == 1
        assert dict(stats.counts(everything, "category")) == {"logistics": 1}
        assert stats.total(LedgerFilters(status="unsure")) == 3  # visible on request
    assert count_ledger(dbsession, period_for(dt.date(2026, 9, 1), dt.date(2026, 10, 31))) == 1
    assert dbsession.execute(select(func.count()).select_from(TaskEvidence)
                             .where(TaskEvidence.ledger_entry_id.in_([x.id for x in entries]))).scalar_one() == 0
    assert ledger_counts.differences(dbsession) == []


def test_confirming_makes_them_complaints_and_groups_them(dbsession, lot):
    manager = wf.user(dbsession, "manager")
    # three buyers (three orders: the grouping counts incidents, one per order)
    reviews = [h.review(dbsession, f"UNSURE 一般 {i}", o=h.order(dbsession, *lot), at=h.T0 + dt.timedelta(hours=i))
               for i in range(3)]
    run(dbsession, [r.id for r in reviews])
    svc = TriageService(dbsession)
    entries = [entry_of(dbsession, r) for r in reviews]
    svc.confirm(entries[0], manager)  # one by one: keeps the guessed category
    svc.bulk("confirm", manager, [e.id for e in entries[1:]])
    for e in entries:
        dbsession.refresh(e)
        assert e.status == "confirmed" and [c.category for c in e.categories] == ["taste"]
    # the update_ledger job re-syncs them (the correction wins) and groups them into a task
    res = resync_ledger(dbsession, CFG, review_ids=[r.id for r in reviews])
    assert res.ledger_entries == 3 and len(res.opened) == 1
    task = dbsession.get(RootCauseTask, res.opened[0])
    assert task.category == "taste" and task.complaint_count == 3
    assert {e.status for e in entries} == {"confirmed"}
    assert LedgerStats(dbsession).total(LedgerFilters()) == 3
    assert queue_ids(dbsession) == []  # out of the pending queue
    assert ledger_counts.differences(dbsession) == []


def test_not_a_complaint_closes_them_for_good(dbsession, lot):
    manager = wf.user(dbsession, "manager")
    r = h.review(dbsession, "UNSURE 嗯", o=h.order(dbsession, *lot))
    run(dbsession, [r.id])
    e = entry_of(dbsession, r)
    TriageService(dbsession).correct(e, manager, complaint=False, categories=[], food_safety=False)
    resync_ledger(dbsession, CFG, review_ids=[r.id])
    run(dbsession, [r.id], force=True)  # re-classified: still unsure by the model, but a manager decided
    dbsession.refresh(e)
    assert e.status == "not_complaint" and queue_ids(dbsession) == []
    assert ledger_counts.differences(dbsession) == []


def test_reclassification_moves_between_unsure_complaint_and_closed(dbsession, lot):
    r = h.review(dbsession, "UNSURE 还行", o=h.order(dbsession, *lot))
    run(dbsession, [r.id])
    e = entry_of(dbsession, r)
    assert e.status == "unsure"
    for text, status in (("LOG 物流慢", "new"), ("UNSURE 还行吧", "unsure"), ("好吃", "not_complaint"),
                         ("UNSURE 再看看", "unsure")):
        r.text = text
        r.updated_at = utcnow()
        dbsession.flush()
        run(dbsession, [r.id])
        dbsession.refresh(e)
        assert e.status == status, text
        assert ledger_counts.differences(dbsession) == []
    assert dbsession.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() == 1


def test_attach_and_assign_leave_unsure_entries_out(dbsession, lot):
    manager = wf.user(dbsession, "manager")
    o = h.order(dbsession, *lot)
    unsure, complaint = h.review(dbsession, "UNSURE 哦", o=o), h.review(dbsession, "LOG 慢", o=o)
    run(dbsession, [unsure.id, complaint.id])
    svc = TriageService(dbsession)
    task = wf.task(dbsession, "logistics")
    ids = [entry_of(dbsession, unsure).id, entry_of(dbsession, complaint).id]
    assert svc.bulk("attach", manager, ids, task_id=task.id) == 1 and svc.skipped_unsure == 1
    evidence = set(dbsession.execute(select(TaskEvidence.ledger_entry_id)
                                     .where(TaskEvidence.task_id == task.id)).scalars())
    assert evidence == {ids[1]}


def test_the_sweep_brings_in_unsure_texts_without_an_entry(dbsession, lot):
    """Texts classified before the unsure status existed (or whose ledger job was lost)."""
    from workflows.outbox import sweep_pending_work

    cfg = WorkflowConfig.from_settings({"feedback.pending_grace_seconds": "0"})
    later = utcnow() + dt.timedelta(hours=2)
    r = h.review(dbsession, "还行", o=h.order(dbsession, *lot))
    sure = h.review(dbsession, "好吃")
    stamp = utcnow() + dt.timedelta(hours=1)
    dbsession.add_all([
        Classification(review_id=r.id, model_version="m", complaint=False, low_confidence=True,
                       scores={"price": 0.3}, updated_at=stamp),
        Classification(review_id=sure.id, model_version="m", complaint=False, low_confidence=False, updated_at=stamp)])
    dbsession.flush()
    assert sweep_pending_work(dbsession, cfg, now=later) == 1
    job = dbsession.execute(select(OutboxJob)).scalar_one()
    assert job.actor_name == "update_ledger" and job.payload == {"review_ids": [r.id], "ticket_ids": []}
    resync_ledger(dbsession, cfg, review_ids=job.payload["review_ids"], outbox_id=job.id)
    e = entry_of(dbsession, r)
    assert e.status == "unsure" and e.primary_category == "price"
    assert sweep_pending_work(dbsession, cfg, now=later) == 0  # nothing left to bring in
