"""The weekly count table (ledger_week_counts) stays equal to the ledger through every writer —
pipeline inserts, re-classification, manager corrections, single and bulk status changes,
deletions — and the ledger page's numbers from it equal the live queries. Both backends."""
from __future__ import annotations

import dataclasses
import datetime as dt
import random

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from feedback.models import LedgerEntry, LedgerWeekCount, Review, TaskEvidence, get_engine
from feedback.services import ledger_counts
from feedback.services.ledger import LedgerFilters
from feedback.services.ledger_stats import LedgerStats, split
from feedback.services.pipeline import classify_and_ledger
from feedback.services.triage import TriageService
from feedback.services.workflow_config import WorkflowConfig
from tests import factories as f
from tests import workflow_helpers as h
from tests.functional import web_factories as wf

CFG = WorkflowConfig()
MARKERS = ["FRESH", "LOG", "SERV", "TASTE", "FS", ""]  # FakeClassifier: "" is not a complaint


def consistent(session) -> bool:
    diffs = ledger_counts.differences(session)
    assert diffs == [], diffs[:10]
    return True


def run(session, ids):
    return classify_and_ledger(h.savepoint_factory(session), h.FakeClassifier(), "review", ids, CFG, force=True)


def test_pipeline_corrections_status_changes_and_deletions_keep_the_counts(dbsession):
    rnd = random.Random(5)
    manager = wf.user(dbsession, "manager")
    products = [h.product(dbsession) for _ in range(3)]
    lots = [(p, h.batch(dbsession, p)) for p in products]
    carriers = ["顺丰", "中通", None]
    reviews = []
    for i in range(40):
        p, b = rnd.choice(lots)
        o = h.order(dbsession, p, b, carrier=rnd.choice(carriers)) if i % 5 else None
        text = " ".join(rnd.sample(MARKERS, 2)) + f" 第{i}条"
        reviews.append(h.review(dbsession, text, o=o, at=h.T0 - dt.timedelta(days=rnd.randrange(60))))
    # 1. inserts by the pipeline (complaints and non-complaints)
    run(dbsession, [r.id for r in reviews])
    assert dbsession.execute(select(func.count()).select_from(LedgerEntry)).scalar_one() > 20
    assert consistent(dbsession)

    # 2. re-classification: new texts move entries between categories, to not_complaint and back
    for r in rnd.sample(reviews, 15):
        r.text = " ".join(rnd.sample(MARKERS, 2)) + " 改"
        r.updated_at = h.T0 + dt.timedelta(days=1)
    dbsession.flush()
    run(dbsession, [r.id for r in reviews])
    assert consistent(dbsession)

    svc = TriageService(dbsession)
    entries = list(dbsession.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars())
    # 3. corrections: categories and food safety change, confirm, not a complaint
    for e in entries[:5]:
        svc.correct(e, manager, complaint=True, categories=rnd.sample(["taste", "price", "other"], 2),
                    food_safety=rnd.random() < 0.5)
    svc.confirm(entries[5], manager)
    svc.correct(entries[6], manager, complaint=False, categories=[], food_safety=False)
    assert consistent(dbsession)
    # 4. bulk status changes
    assert svc.bulk("confirm", manager, [e.id for e in entries[7:15]]) == 8
    assert svc.bulk("not_complaint", manager, [e.id for e in entries[15:20]]) == 5
    assert consistent(dbsession)
    # 5. the correction re-synced by the update_ledger job (the pipeline's resync) changes nothing
    from feedback.services.pipeline import resync_ledger
    resync_ledger(dbsession, CFG, review_ids=[r.id for r in reviews])
    assert consistent(dbsession)
    # 6. deletions (an entry and its categories), tracked like any other change
    gone = entries[20:23]
    tracker = ledger_counts.track_ids(dbsession, [e.id for e in gone])
    dbsession.execute(delete(TaskEvidence).where(TaskEvidence.ledger_entry_id.in_([e.id for e in gone])))
    for e in gone:
        dbsession.delete(e)
    tracker.finish()
    assert consistent(dbsession)
    # rebuilding from scratch gives the same table
    before = ledger_counts.stored_rows(dbsession)
    ledger_counts.rebuild(dbsession)
    assert ledger_counts.stored_rows(dbsession) == before


def test_a_change_not_tracked_is_found_and_rebuilt(dbsession):
    e = f.ledger_entry(dbsession, sku="SKU-X")
    assert consistent(dbsession)
    e.sku = "SKU-Y"  # written behind the tracker's back
    dbsession.flush()
    diffs = ledger_counts.differences(dbsession)
    assert {(k[0], k[3]) for k, _, _ in diffs} == {("sku", "SKU-X"), ("sku", "SKU-Y")}
    ledger_counts.rebuild(dbsession)
    assert consistent(dbsession)


def test_finish_twice_adds_nothing(dbsession):
    e = f.ledger_entry(dbsession, sku="SKU-1")
    tracker = ledger_counts.track_ids(dbsession, [e.id])
    e.sku, e.status = "SKU-2", "confirmed"
    tracker.finish()
    tracker.finish()
    assert consistent(dbsession)


# -- reading: the table's answers equal the live queries ---------------------------------------

MONDAY = dt.date(2026, 9, 7)  # 2026-W37


@pytest.fixture
def spread(dbsession):
    """~120 entries over 10 weeks, every status, a few without SKU/carrier."""
    rnd = random.Random(11)
    for i in range(120):
        at = dt.datetime.combine(MONDAY, dt.time(8)) + dt.timedelta(hours=rnd.randrange(70 * 24))
        f.ledger_entry(dbsession, occurred_at=at, sku=rnd.choice(["A", "B", "C", None]),
                       carrier=rnd.choice(["顺丰", "中通", None]), platform=rnd.choice(["jd", "taobao"]),
                       categories=rnd.sample(["taste", "freshness", "logistics", "quality"], rnd.choice((1, 2))),
                       status=rnd.choice(["new", "new", "confirmed", "not_complaint"]))
    assert consistent(dbsession)


def _ranges():
    d = dt.timedelta
    yield None, None
    yield MONDAY, None  # a Monday: whole weeks only
    yield MONDAY + d(days=3), None  # mid-week start: one partial week
    yield None, MONDAY + d(days=30)  # mid-week end
    yield None, MONDAY + d(days=27)  # a Sunday
    yield MONDAY + d(days=2), MONDAY + d(days=40)  # both ends partial
    yield MONDAY + d(days=8), MONDAY + d(days=12)  # inside one week
    yield MONDAY + d(days=7), MONDAY + d(days=13)  # exactly one week
    yield MONDAY + d(days=12), MONDAY + d(days=15)  # two adjacent partial weeks
    yield MONDAY + d(days=5), MONDAY + d(days=5)  # one day
    yield MONDAY + d(days=100), None  # after everything


@pytest.mark.parametrize("status", [None, "new", "not_complaint"])
def test_table_answers_equal_live_answers(dbsession, spread, status):
    table, live = LedgerStats(dbsession), LedgerStats(dbsession, use_week_counts=False)
    for date_from, date_to in _ranges():
        filters = LedgerFilters(date_from=date_from, date_to=date_to, status=status)
        assert split(filters) is not None
        for by in ("category", "sku", "carrier", "platform", "warehouse"):
            assert table.counts(filters, by) == live.counts(filters, by), (date_from, date_to, by)
        assert table.total(filters) == live.total(filters)
        assert table.trend(filters, weeks=12, end=MONDAY + dt.timedelta(days=75)) == \
            live.trend(filters, weeks=12, end=MONDAY + dt.timedelta(days=75))
    # the default view's trend (ending today, with the current week partial)
    assert table.trend(LedgerFilters(status=status)) == live.trend(LedgerFilters(status=status))


def test_other_filters_use_the_live_queries(dbsession, spread):
    for filters in (LedgerFilters(sku="A"), LedgerFilters(category="taste"), LedgerFilters(food_safety=False)):
        assert split(filters) is None
    filters = LedgerFilters(carrier="顺丰", date_from=MONDAY + dt.timedelta(days=3))
    dbsession.execute(LedgerWeekCount.__table__.delete())  # the table would now give 0 everywhere
    stats = LedgerStats(dbsession)
    assert stats.total(filters) > 0 and stats.counts(filters, "sku")
    assert stats.total(LedgerFilters()) == 0  # (proof that the unfiltered total does read the table)


def test_split_cuts_whole_and_partial_weeks():
    s = split(LedgerFilters(date_from=MONDAY + dt.timedelta(days=2), date_to=MONDAY + dt.timedelta(days=19)))
    assert (s.first, s.last, s.whole_weeks) == ("2026-W38", "2026-W38", True)
    assert [(e.date_from, e.date_to) for e in s.edges] == [
        (MONDAY + dt.timedelta(days=2), MONDAY + dt.timedelta(days=6)),
        (MONDAY + dt.timedelta(days=14), MONDAY + dt.timedelta(days=19))]
    s = split(LedgerFilters(date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=20)))  # Monday to Sunday
    assert (s.first, s.last, s.edges) == ("2026-W37", "2026-W39", [])
    s = split(LedgerFilters())
    assert (s.first, s.last, s.edges, s.statuses) == (None, None, [], ("new", "confirmed"))
    s = split(LedgerFilters(date_from=dt.date(2025, 12, 29), date_to=dt.date(2026, 1, 4)))  # ISO 2026-W01
    assert (s.first, s.last, s.edges) == ("2026-W01", "2026-W01", [])
    assert split(dataclasses.replace(LedgerFilters(), platform="jd")) is None


def test_recount_command_checks_and_rebuilds(fresh_db_url):
    from feedback.cli import _register, cli

    _register()
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    with Session(engine) as s:
        e = f.ledger_entry(s, sku="SKU-C")
        s.execute(LedgerWeekCount.__table__.delete().where(LedgerWeekCount.dim == "sku"))
        s.commit()
        review_id = e.review_id

    def invoke(*args):
        return CliRunner().invoke(cli, ["--config", "development.ini", "ledger", "recount", *args],
                                  env={"FEEDBACK_DB_URL": fresh_db_url})

    res = invoke("--check")
    assert res.exit_code == 1 and "sku='SKU-C': stored 0, ledger 1" in res.output
    res = invoke()
    assert res.exit_code == 0 and "rebuilt" in res.output
    res = invoke("--check")
    assert res.exit_code == 0 and "agree" in res.output
    with Session(engine) as s:
        assert s.get(Review, review_id) is not None
    engine.dispose()


def test_reclassify_command_queues_forced_jobs(fresh_db_url):
    """After an upgrade that changed how texts are read, every stored text can be classified
    again: one forced job per 200 ids, for the worker."""
    from feedback.cli import _register, cli
    from feedback.models import OutboxJob

    _register()
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    with Session(engine) as s:
        e = f.ledger_entry(s, sku="SKU-R")
        t = f.ticket(s, text="")
        s.commit()
        review_id, ticket_id = e.review_id, t.id
    res = CliRunner().invoke(cli, ["--config", "development.ini", "ledger", "reclassify"],
                             env={"FEEDBACK_DB_URL": fresh_db_url})
    assert res.exit_code == 0, res.output
    assert "queued 2 classification jobs for 1 reviews and 1 tickets" in res.output
    with Session(engine) as s:
        jobs = {j.actor_name: j.payload for j in s.query(OutboxJob).filter(OutboxJob.status == "pending")}
    assert jobs == {"classify_reviews": {"ids": [review_id], "force": True},
                    "classify_tickets": {"ids": [ticket_id], "force": True}}
    res = CliRunner().invoke(cli, ["--config", "development.ini", "ledger", "reclassify", "--only", "tickets"],
                             env={"FEEDBACK_DB_URL": fresh_db_url})
    assert res.exit_code == 0 and "for 0 reviews and 1 tickets" in res.output
    engine.dispose()
