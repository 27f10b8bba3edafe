"""Correcting the platform of an import batch whose header was read as another platform's export
(`feedback import reassign`), against real databases."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from feedback.importing import import_file, import_items
from feedback.importing.reassign import ReassignError, reassign_batch
from feedback.models import Classification, ImportBatch, LedgerEntry, Order, ReplyDraft, Review, Shop, Ticket
from feedback.services import ledger_counts
from feedback.services.ledger import LedgerBuilder
from feedback.services.replies.workflow import ReplyService

from .import_helpers import csv_bytes, write
from .test_import_cli import feedback

# A Douyin shop's own spreadsheet: 商品编号 is one of JD's signature columns, so the header reads as JD.
HEADER = ["订单编号", "商品编号", "店铺名称", "评价内容", "评分", "评价时间"]


def rows(n: int = 3) -> list:
    return [[f"69{i:08d}", "DY-NUTS-500", "坚果旗舰店", f"核桃仁有股哈喇味，吃了嗓子疼 {i}", "1", f"2024-05-0{i} 10:00"]
            for i in range(1, n + 1)]


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def misread(dbsession, tmp_path):
    """Three reviews stored under JD, classified, in the ledger and with reply drafts; a refund of
    the first order, imported on its own under JD, shares its order line."""
    path = write(tmp_path / "抖店评价.csv", csv_bytes(HEADER, rows()))
    result = import_file(dbsession, path, "reviews")
    assert (result.platform, result.inserted) == ("jd", 3)
    reviews = dbsession.scalars(select(Review).order_by(Review.id)).all()
    for review in reviews:
        dbsession.add(Classification(review_id=review.id, model_version="test", complaint=True,
                                     categories=["freshness"], food_safety=True, scores={}, evidence={},
                                     confidence=0.9, low_confidence=False))
    dbsession.flush()
    LedgerBuilder(dbsession).sync(review_ids=[r.id for r in reviews])
    replies = ReplyService(dbsession)
    replies.seed_templates()
    replies.save_settings("douyin", None, max_chars=500, allow_links=False, allow_phone=False,
                          allow_compensation=False, blocked_words="", reply_window_days=7, window_from_followup=False)
    assert len(replies.generate([r.id for r in reviews])) == 3
    import_items(dbsession, "tickets", [{"order_id": "6900000001", "sku": "DY-NUTS-500", "ticket_type": "refund",
                                         "text": "核桃有哈喇味", "amount": "39.9"}], platform="jd")
    dbsession.flush()
    return result.import_batch_id, path


def test_a_batch_moves_with_its_orders_ledger_and_reply_drafts(dbsession, misread):
    batch_id, _ = misread
    result = reassign_batch(dbsession, batch_id, "抖音")
    assert (result.old_platform, result.platform, result.records) == ("jd", "douyin", 3)
    assert {r.platform for r in dbsession.scalars(select(Review))} == {"douyin"}
    assert dbsession.get(ImportBatch, batch_id).platform == "douyin"
    assert {e.platform for e in dbsession.scalars(select(LedgerEntry))} == {"douyin"}
    shop = dbsession.scalars(select(Shop).where(Shop.platform == "douyin")).one()
    assert {r.shop_id for r in dbsession.scalars(select(Review))} == {shop.id}
    # the refund (not in the batch) keeps JD and its order line; the reviews' lines moved or were copied
    ticket = dbsession.scalars(select(Ticket)).one()
    assert ticket.platform == "jd" and dbsession.get(Order, ticket.order_id).platform == "jd"
    for review in dbsession.scalars(select(Review)):
        order = dbsession.get(Order, review.order_id)
        assert (order.platform, order.platform_order_id) == ("douyin", review.platform_order_id)
    assert result.orders_moved == 3 and count(dbsession, Order) == 4  # two moved, one copied
    drafts = dbsession.scalars(select(ReplyDraft)).all()
    assert result.reply_drafts == 3 and {d.platform for d in drafts} == {"douyin"}
    for draft in drafts:  # Douyin's 7-day window (set above) now applies
        assert draft.deadline_at == draft.review.reviewed_at + dt.timedelta(days=7)
    assert ledger_counts.differences(dbsession) == []  # the weekly counts by platform moved too


def test_the_file_imported_again_with_the_right_platform_adds_nothing(dbsession, misread):
    batch_id, path = misread
    reassign_batch(dbsession, batch_id, "douyin")
    again = import_file(dbsession, path, "reviews", platform="douyin")
    assert (again.inserted, again.duplicates) == (0, 3)
    assert count(dbsession, Review) == 3


def test_a_collision_or_a_bad_request_changes_nothing(dbsession, misread):
    batch_id, path = misread
    reassign_batch(dbsession, batch_id, "douyin")
    second = import_file(dbsession, path, "reviews")  # read as JD once more: a second copy under JD
    assert (second.platform, second.inserted) == ("jd", 3)
    before = sorted((r.id, r.platform) for r in dbsession.scalars(select(Review)))
    with pytest.raises(ReassignError, match="already stored under douyin"):
        reassign_batch(dbsession, second.import_batch_id, "douyin")
    with pytest.raises(ReassignError, match="no import batch #99999"):
        reassign_batch(dbsession, 99999, "douyin")
    with pytest.raises(ReassignError, match="already jd"):
        reassign_batch(dbsession, second.import_batch_id, "京东")
    with pytest.raises(Exception, match="unknown platform"):
        reassign_batch(dbsession, second.import_batch_id, "amazon")
    assert sorted((r.id, r.platform) for r in dbsession.scalars(select(Review))) == before
    dry = reassign_batch(dbsession, batch_id, "pdd", dry_run=True)
    assert (dry.records, dry.dry_run) == (3, True)
    assert count(dbsession, Review, Review.platform == "pdd") == 0


def test_the_cli_lists_batches_and_reassigns_one(fresh_db_url, tmp_path):
    path = write(tmp_path / "抖店评价.csv", csv_bytes(HEADER, rows(2)))
    imported = json.loads(feedback(fresh_db_url, "import", "reviews", str(path), "--json").stdout)
    assert imported["platform"] == "jd"
    listed = feedback(fresh_db_url, "import", "batches", "--json")
    assert listed.returncode == 0, listed.stderr
    batch = json.loads(listed.stdout.splitlines()[0])
    assert (batch["id"], batch["platform"], batch["header_family"]) == (imported["import_batch_id"], "jd", "jd")
    dry = feedback(fresh_db_url, "import", "reassign", str(batch["id"]), "--platform", "douyin", "--dry-run")
    assert dry.returncode == 0 and "would move 2" in dry.stdout
    done = feedback(fresh_db_url, "import", "reassign", str(batch["id"]), "--platform", "douyin", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["records"] == 2
    again = feedback(fresh_db_url, "import", "reassign", str(batch["id"]), "--platform", "douyin")
    assert again.returncode == 1 and "already douyin" in again.stderr
    bad = feedback(fresh_db_url, "import", "reassign", "12345", "--platform", "douyin", "--json")
    assert bad.returncode == 1 and "no import batch #12345" in json.loads(bad.stdout)["error"]
