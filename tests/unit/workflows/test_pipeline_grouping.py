"""The pipeline step on a real database: classify → ledger → grouping, routing, fast lane,
thresholds and idempotency. Runs on SQLite and PostgreSQL (the dbsession fixture)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from feedback.models import (
    Classification,
    Department,
    LabelCorrection,
    LedgerEntry,
    Notification,
    OutboxJob,
    RootCauseTask,
    RoutingRule,
    TaskEvent,
    TaskEvidence,
)
from feedback.services.departments import ensure_departments
from feedback.services.pipeline import classify_and_ledger, resync_ledger
from feedback.services.rootcause import Grouper, cause_of, route
from feedback.services.workflow_config import WorkflowConfig
from tests import workflow_helpers as h

CFG = WorkflowConfig()


def run(session, ids, clf=None, **kw):
    return classify_and_ledger(h.savepoint_factory(session), clf or h.FakeClassifier(), "review", ids, CFG, **kw)


def count(session, model):
    return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def lot(dbsession):
    ensure_departments(dbsession)
    p = h.product(dbsession)
    b = h.batch(dbsession, p)
    return p, b


def test_ledger_fields_come_from_order_product_and_batch(dbsession, lot):
    p, b = lot
    # shelf life 180 days from 2026-04-01; delivered 2026-10-04 -> 0 days left... choose dates:
    o = h.order(dbsession, p, b, signed_at=dt.datetime(2026, 8, 20, 10))
    r = h.review(dbsession, "FRESH 有点坏", o=o, at=dt.datetime(2026, 8, 21, 9))
    run(dbsession, [r.id])
    e = dbsession.execute(select(LedgerEntry).where(LedgerEntry.review_id == r.id)).scalar_one()
    assert (e.sku, e.product_name, e.batch_code) == (p.sku, "五香牛肉干", b.batch_code)
    assert e.production_date == dt.date(2026, 4, 1)
    assert e.expiry_date == dt.date(2026, 9, 28)  # production + 180 days (no expiry on the batch)
    assert e.shelf_life_left_ratio == pytest.approx(39 / 180, abs=1e-3)
    assert e.near_expiry is True  # under 1/3 of the shelf life left at delivery
    assert (e.carrier, e.warehouse, e.region, e.platform) == ("中通", "嘉兴仓", "浙江", "tmall")
    assert (e.week, e.month, e.rating_stars, e.primary_category) == ("2026-W34", "2026-08", 1, "freshness")
    assert [c.category for c in e.categories] == ["freshness"]


def test_not_near_expiry_with_plenty_of_shelf_life(dbsession, lot):
    p, b = lot
    o = h.order(dbsession, p, b, signed_at=dt.datetime(2026, 4, 10))
    r = h.review(dbsession, "FRESH 不新鲜", o=o)
    run(dbsession, [r.id])
    e = dbsession.execute(select(LedgerEntry).where(LedgerEntry.review_id == r.id)).scalar_one()
    assert e.near_expiry is False and e.shelf_life_left_ratio > 0.9


def test_same_message_twice_changes_nothing(dbsession, lot):
    p, b = lot
    reviews = [h.review(dbsession, f"FRESH 发霉{i % 2}", o=h.order(dbsession, p, b),
                        at=h.T0 + dt.timedelta(hours=i)) for i in range(4)]
    ids = [r.id for r in reviews]
    first = run(dbsession, ids)
    assert first.classified == 4 and len(first.opened) == 1
    before = {m.__name__: count(dbsession, m) for m in
              (Classification, LedgerEntry, RootCauseTask, TaskEvidence, TaskEvent, Notification)}
    stamps = dict(dbsession.execute(select(Classification.review_id, Classification.updated_at)).all())
    second = run(dbsession, ids)
    assert second.classified == 0 and second.skipped == 4 and second.opened == []
    after = {m.__name__: count(dbsession, m) for m in
             (Classification, LedgerEntry, RootCauseTask, TaskEvidence, TaskEvent, Notification)}
    assert after == before
    assert dict(dbsession.execute(select(Classification.review_id, Classification.updated_at)).all()) == stamps


def test_outbox_job_marked_done_in_the_same_transaction(dbsession, lot):
    r = h.review(dbsession, "LOG 太慢", o=h.order(dbsession, *lot))
    job = OutboxJob(actor_name="classify_reviews", payload={"ids": [r.id]}, status="enqueued")
    dbsession.add(job)
    dbsession.flush()
    run(dbsession, [r.id], outbox_id=job.id)
    dbsession.refresh(job)
    assert job.status == "done" and job.done_at is not None


def test_threshold_groups_one_task_per_cause_not_per_review(dbsession, lot):
    p, b = lot
    other_batch = h.batch(dbsession, p)
    rs = [h.review(dbsession, f"FRESH 变质{i}", o=h.order(dbsession, p, b), at=h.T0 + dt.timedelta(days=i))
          for i in range(2)]
    run(dbsession, [r.id for r in rs])
    assert count(dbsession, RootCauseTask) == 0  # 2 < threshold 3
    # same SKU but another batch: a different cause
    r_other = h.review(dbsession, "FRESH 变质", o=h.order(dbsession, p, other_batch), at=h.T0)
    run(dbsession, [r_other.id])
    assert count(dbsession, RootCauseTask) == 0
    r3 = h.review(dbsession, "FRESH 变质", o=h.order(dbsession, p, b), at=h.T0 + dt.timedelta(days=3))
    res = run(dbsession, [r3.id])
    assert len(res.opened) == 1
    task = dbsession.get(RootCauseTask, res.opened[0])
    assert task.cause_key == f"freshness|batch_code={b.batch_code};sku={p.sku}"
    assert task.complaint_count == 3 and task.status == "open" and task.severity == "normal"
    assert task.department.code == "qc"
    assert task.sla_due_at is not None
    # a later complaint attaches as evidence, no second task
    r4 = h.review(dbsession, "FRESH 变质", o=h.order(dbsession, p, b), at=h.T0 + dt.timedelta(days=20))
    run(dbsession, [r4.id])
    assert count(dbsession, RootCauseTask) == 1
    dbsession.refresh(task)
    assert task.complaint_count == 4
    ev = dbsession.execute(select(TaskEvent).where(TaskEvent.task_id == task.id)).scalars().all()
    assert [(e.actor, e.to_status) for e in ev] == [("system", "open")]


def test_out_of_order_arrival_still_groups(dbsession, lot):
    p, b = lot
    rs = [h.review(dbsession, "TASTE 太咸", o=h.order(dbsession, p, b), at=h.T0 + dt.timedelta(days=d))
          for d in (6, 3, 0)]
    for r in rs:  # newest first, one message each
        run(dbsession, [r.id])
    tasks = dbsession.execute(select(RootCauseTask)).scalars().all()
    assert len(tasks) == 1 and tasks[0].category == "taste" and tasks[0].department.code == "rnd"
    assert tasks[0].complaint_count == 3


def test_spread_out_complaints_do_not_open_a_task(dbsession, lot):
    p, b = lot
    rs = [h.review(dbsession, "TASTE 太咸", o=h.order(dbsession, p, b), at=h.T0 + dt.timedelta(days=d))
          for d in (0, 8, 16)]
    run(dbsession, [r.id for r in rs])
    assert count(dbsession, RootCauseTask) == 0


def test_configurable_threshold(dbsession, lot):
    cfg = WorkflowConfig.from_settings({"feedback.group_threshold": "2", "feedback.group_window_days": "3"})
    p, b = lot
    rs = [h.review(dbsession, "TASTE 太甜", o=h.order(dbsession, p, b), at=h.T0 + dt.timedelta(days=d))
          for d in (0, 2)]
    res = classify_and_ledger(h.savepoint_factory(dbsession), h.FakeClassifier(), "review",
                              [r.id for r in rs], cfg)
    assert len(res.opened) == 1


def test_logistics_cause_uses_carrier_warehouse_region_and_routes_to_logistics(dbsession, lot):
    p, b = lot
    rs = [h.review(dbsession, "LOG 慢", o=h.order(dbsession, h.product(dbsession), None, carrier="韵达"),
                   at=h.T0 + dt.timedelta(hours=i)) for i in range(3)]
    res = run(dbsession, [r.id for r in rs])
    task = dbsession.get(RootCauseTask, res.opened[0])
    assert task.cause_key == "logistics|carrier=韵达;region=浙江;warehouse=嘉兴仓"
    assert task.department.code == "logistics"


def test_most_specific_routing_rule_wins(dbsession):
    depts = ensure_departments(dbsession)
    assert route(dbsession, "logistics", carrier="顺丰", warehouse="嘉兴仓").code == "logistics"
    dbsession.add(RoutingRule(category="logistics", warehouse="嘉兴仓", department=depts["warehouse"]))
    dbsession.add(RoutingRule(category="logistics", carrier="顺丰", warehouse="嘉兴仓", department=depts["cs"],
                              priority=200))
    dbsession.flush()
    assert route(dbsession, "logistics", carrier="顺丰", warehouse="嘉兴仓").code == "cs"
    assert route(dbsession, "logistics", carrier="中通", warehouse="嘉兴仓").code == "warehouse"
    assert route(dbsession, "logistics", carrier="中通", warehouse="上海仓").code == "logistics"
    assert route(dbsession, "food_safety", sku="X").code == "qc"


def test_food_safety_fast_lane_opens_critical_qc_task_at_once(dbsession, lot):
    p, b = lot
    r = h.review(dbsession, "FS 吃了拉肚子", o=h.order(dbsession, p, b))
    res = run(dbsession, [r.id])
    assert len(res.opened) == 1
    task = dbsession.get(RootCauseTask, res.opened[0])
    assert task.food_safety and task.severity == "critical" and task.department.code == "qc"
    assert task.sla_due_at - task.opened_at <= dt.timedelta(hours=CFG.sla_hours["critical"], minutes=1)
    assert task.cause_key.startswith("food_safety|")
    # a second food-safety complaint on the same batch attaches; no second task
    r2 = h.review(dbsession, "FS 有异物", o=h.order(dbsession, p, b))
    run(dbsession, [r2.id])
    dbsession.refresh(task)
    assert count(dbsession, RootCauseTask) == 1 and task.complaint_count == 2


def test_food_safety_escalates_an_existing_normal_task(dbsession, lot):
    p, b = lot
    g = Grouper(dbsession, CFG)
    rs = [h.review(dbsession, "FRESH 坏了", o=h.order(dbsession, p, b), at=h.T0 + dt.timedelta(hours=i))
          for i in range(3)]
    run(dbsession, [r.id for r in rs])
    fs_task_key = f"food_safety|batch_code={b.batch_code};sku={p.sku}"
    # an existing, resolved food-safety task for this batch is reopened and escalated
    task = RootCauseTask(cause_key=fs_task_key, active_cause_key=fs_task_key, category="food_safety",
                         department_id=ensure_departments(dbsession)["qc"].id, title="t", status="resolved",
                         severity="high", attributes={"sku": p.sku, "batch_code": b.batch_code},
                         resolved_at=h.T0)
    dbsession.add(task)
    dbsession.flush()
    r = h.review(dbsession, "FS 拉肚子", o=h.order(dbsession, p, b))
    res = run(dbsession, [r.id])
    dbsession.refresh(task)
    assert task.severity == "critical" and task.status == "reopened"
    assert res.opened == [] and g is not None


def test_no_longer_a_complaint_retires_the_entry(dbsession, lot):
    r = h.review(dbsession, "FRESH 不新鲜", o=h.order(dbsession, *lot))
    run(dbsession, [r.id])
    dbsession.add(LabelCorrection(review_id=r.id, complaint=False, categories=[]))
    dbsession.flush()
    resync_ledger(dbsession, CFG, review_ids=[r.id])
    e = dbsession.execute(select(LedgerEntry).where(LedgerEntry.review_id == r.id)).scalar_one()
    assert e.status == "not_complaint"
    # the text changes back into a complaint: same row, back to new
    dbsession.add(LabelCorrection(review_id=r.id, complaint=True, categories=["logistics"]))
    dbsession.flush()
    resync_ledger(dbsession, CFG, review_ids=[r.id])
    dbsession.refresh(e)
    assert e.status == "new" and [c.category for c in e.categories] == ["logistics"]
    assert count(dbsession, LedgerEntry) == 1


def test_edited_review_is_reclassified(dbsession, lot):
    r = h.review(dbsession, "很好", o=h.order(dbsession, *lot))
    run(dbsession, [r.id])
    assert count(dbsession, LedgerEntry) == 0
    r.text = "LOG 快递太慢"
    r.updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(seconds=5)
    dbsession.flush()
    res = run(dbsession, [r.id])
    assert res.classified == 1 and count(dbsession, LedgerEntry) == 1


def test_with_the_real_lexicon_classifier(dbsession, lot):
    nlp = pytest.importorskip("nlp")
    clf = nlp.load_classifier("lexicon")
    p, b = lot
    r = h.review(dbsession, "收到的牛肉干发霉了，吃完拉肚子", o=h.order(dbsession, p, b))
    ok = h.review(dbsession, "很好吃，还会回购", rating=5, o=h.order(dbsession, p, b))
    res = run(dbsession, [r.id, ok.id], clf=clf)
    assert res.classified == 2
    c = dbsession.execute(select(Classification).where(Classification.review_id == r.id)).scalar_one()
    assert c.complaint and c.food_safety and c.model_version == clf.version and c.evidence
    assert dbsession.execute(select(LedgerEntry.review_id)).scalars().all() == [r.id]
    assert len(res.opened) == 1  # the food-safety lane


def test_cause_of_service_uses_the_shop(dbsession):
    e = LedgerEntry(platform="jd", shop_id=7, sku="S", batch_code="B", carrier="c")
    assert cause_of(e, "service").key == "service|platform=jd;shop_id=7"
    assert cause_of(e, "quality").key == "quality|batch_code=B;sku=S"
    assert dbsession.execute(select(func.count()).select_from(Department)).scalar_one() >= 0


def test_spike_against_trailing_weeks_opens_a_task(dbsession, lot):
    cfg = WorkflowConfig.from_settings({"feedback.group_threshold": "10", "feedback.spike_factor": "3"})
    p, b = lot
    sf = h.savepoint_factory(dbsession)
    # one complaint a fortnight for 4 weeks, then 3 in one week (threshold 10 is never reached)
    old = [h.review(dbsession, "TASTE 咸", o=h.order(dbsession, p, b), at=h.T0 - dt.timedelta(days=d))
           for d in (30, 15)]
    res = classify_and_ledger(sf, h.FakeClassifier(), "review", [r.id for r in old], cfg)
    assert res.opened == []
    new = [h.review(dbsession, "TASTE 咸", o=h.order(dbsession, p, b), at=h.T0 + dt.timedelta(days=d))
           for d in (0, 2, 4)]
    res = classify_and_ledger(sf, h.FakeClassifier(), "review", [r.id for r in new], cfg)
    assert len(res.opened) == 1
    task = dbsession.get(RootCauseTask, res.opened[0])
    assert task.severity == "high" and task.complaint_count == 5
    ev = dbsession.execute(select(TaskEvent).where(TaskEvent.task_id == task.id)).scalar_one()
    assert "投诉激增" in ev.comment


@pytest.mark.parametrize("order", [(0, 1, 2, 3, 4), (4, 3, 2, 1, 0), (2, 4, 0, 3, 1)])
def test_grouping_does_not_depend_on_arrival_order(dbsession, lot, order):
    p, b = lot
    days = [0, 20, 21, 22, 40]  # the first and last are far from the burst but share the cause
    rs = [h.review(dbsession, "FRESH 坏", o=h.order(dbsession, p, b), at=h.T0 + dt.timedelta(days=d))
          for d in days]
    for i in order:
        run(dbsession, [rs[i].id])
    (task,) = dbsession.execute(select(RootCauseTask)).scalars().all()
    assert task.complaint_count == 5


def test_tickets_are_classified_and_ledgered(dbsession, lot):
    from feedback.models import Ticket

    p, b = lot
    o = h.order(dbsession, p, b)
    t = Ticket(platform="tmall", dedupe_key="id:t-wf", content_hash="t" * 64, ticket_type="refund",
               reason="商品变质", text="FRESH 收到就坏了", platform_order_id=o.platform_order_id, sku=p.sku,
               opened_at=h.T0)
    dbsession.add(t)
    dbsession.flush()
    res = classify_and_ledger(h.savepoint_factory(dbsession), h.FakeClassifier(), "ticket", [t.id], CFG)
    assert res.classified == 1
    e = dbsession.execute(select(LedgerEntry).where(LedgerEntry.ticket_id == t.id)).scalar_one()
    assert (e.batch_code, e.carrier, e.product_name, e.occurred_at) == (b.batch_code, "中通", "五香牛肉干", h.T0)
    assert e.rating_stars is None


def test_ticket_reasons_reach_the_real_classifier(dbsession, lot):
    """The platform's reason goes to nlp beside the buyer's words (nlp.tickets): a reason with
    no description stands for its meaning, a no-problem reason is no complaint."""
    from feedback.models import Ticket

    nlp = pytest.importorskip("nlp")
    clf = nlp.load_classifier("lexicon")
    p, b = lot
    o = h.order(dbsession, p, b)

    def ticket(n, reason, text):
        t = Ticket(platform="tmall", dedupe_key=f"id:t-rs{n}", content_hash=f"{n}" * 64, ticket_type="refund",
                   reason=reason, text=text, platform_order_id=o.platform_order_id, sku=p.sku, opened_at=h.T0)
        dbsession.add(t)
        dbsession.flush()
        return t

    unsafe = ticket(1, "食品安全问题", "")
    no_problem = ticket(2, "七天无理由退货", "")
    wrong = ticket(3, "发错货", "联系客服半天没人回")
    res = classify_and_ledger(h.savepoint_factory(dbsession), clf, "ticket",
                              [unsafe.id, no_problem.id, wrong.id], CFG)
    assert res.classified == 3
    got = {c.ticket_id: c for c in dbsession.execute(select(Classification)).scalars()}
    assert got[unsafe.id].food_safety and got[unsafe.id].complaint
    assert not got[no_problem.id].complaint
    assert got[wrong.id].categories == ["quality", "service"] and not got[wrong.id].food_safety
    entries = dbsession.execute(select(LedgerEntry.ticket_id)).scalars().all()
    assert sorted(entries) == sorted([unsafe.id, wrong.id])


def test_a_follow_up_review_is_read_too(dbsession, lot):
    """A complaint in the 追评 of a five-star review is a complaint (the follow-up is classified
    with the first text)."""
    nlp = pytest.importorskip("nlp")
    clf = nlp.load_classifier("lexicon")
    p, b = lot
    r = h.review(dbsession, "很好吃，包装也好", rating=5, o=h.order(dbsession, p, b))
    r.followup_text = "追评：吃了几天，今天在袋子里吃出一根头发"
    dbsession.flush()
    run(dbsession, [r.id], clf=clf)
    c = dbsession.execute(select(Classification).where(Classification.review_id == r.id)).scalar_one()
    assert c.complaint and c.food_safety and "quality" in c.categories
    assert dbsession.execute(select(LedgerEntry.review_id)).scalars().all() == [r.id]


def test_a_review_and_a_refund_of_one_order_are_one_incident(dbsession, lot):
    """Two buyers, each with a 差评 and a refund for the same problem, are two complaints: no
    task at threshold 3. A third buyer opens it, and every record of the cause is evidence."""
    from feedback.models import Ticket

    p, b = lot

    def refund(o, at):
        t = Ticket(platform="tmall", dedupe_key=f"id:rf-{o.id}", content_hash=f"{o.id:064d}", ticket_type="refund",
                   reason="商品变质", text="FRESH 变质了", platform_order_id=o.platform_order_id, sku=p.sku,
                   opened_at=at)
        dbsession.add(t)
        dbsession.flush()
        return t

    orders = [h.order(dbsession, p, b) for _ in range(3)]
    reviews = [h.review(dbsession, "FRESH 变质", o=o, at=h.T0 + dt.timedelta(days=i)) for i, o in enumerate(orders)]
    tickets = [refund(o, h.T0 + dt.timedelta(days=i, hours=2)) for i, o in enumerate(orders[:2])]
    run(dbsession, [r.id for r in reviews[:2]])
    classify_and_ledger(h.savepoint_factory(dbsession), h.FakeClassifier(), "ticket", [t.id for t in tickets], CFG)
    assert count(dbsession, LedgerEntry) == 4 and count(dbsession, RootCauseTask) == 0
    res = run(dbsession, [reviews[2].id])
    assert len(res.opened) == 1
    task = dbsession.get(RootCauseTask, res.opened[0])
    assert task.complaint_count == 5  # the evidence keeps every record
