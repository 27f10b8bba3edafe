"""The triage text search (q=) finds exactly what a plain LIKE (ILIKE on PostgreSQL) over the
review/ticket texts finds, whatever the term's length, on both backends; on PostgreSQL it searches
the ledger entries' copies of their texts (search_text, kept by the ledger builder and the
importer) and reads its candidates from their character/character-pair GIN index (migration
c41f0e8b7a2d), which the reviews and tickets tables do not carry (the import pays nothing)."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.importing import import_file
from feedback.models import Classification, LedgerEntry, Review, Ticket, get_engine
from feedback.services import triage
from feedback.services.ledger import LedgerBuilder
from feedback.services.ledger_counts import CountTracker
from feedback.services.triage import Cursor, Filters, TriageService

from . import web_factories as wf
from .import_helpers import TAOBAO_HEADER, csv_bytes, taobao_row, write
from .test_migrations import _config

SKU = "SKU-SEARCH"
TEXTS = [
    "月饼发霉了，吃了拉肚子",
    "漏气胀袋，整箱都鼓了",
    "包装漏了，没发霉",
    "霉",
    "发",
    "这款 ABC 坚果有哈喇味",
    "abc 太贵了",
    "满100%减20 没用上",
    "优惠券 100 减 20",
    "字段 a_b 和 axb 不一样",
    "反斜杠 C:\\tmp 路径",
    "CAFÉ 咖啡 café",
    "订单123456 送错了",
    "订单1234 没到",
    "ÄRGER mit der Post",
    "",
]
TERMS = [
    "霉", "发", "a", "%", "_", "\\",  # one character
    "发霉", "漏气", "AB", "ab", "0%", "a_", "霉了", "哈喇", "漏水", "%减", "\\t",  # two
    "发霉了", "没发霉", "ABC 坚", "100%减", "a_b", "C:\\tmp", "café", "CAFÉ", "订单1234", "订单123456 送",
    "没有的词", "拉肚子，", "ärger", "Ä", "äR",  # three and more, other cases
]


def _like_ids(session, q):
    """The reference: the entries whose text a plain LIKE/ILIKE matches (no index, no limit)."""
    pattern = triage._like_pattern(q)
    pg = session.get_bind().dialect.name == "postgresql"

    def match(col):
        return col.ilike(pattern, escape="\\") if pg else col.like(pattern, escape="\\")

    # what the search reads: a review's text and 追评, a ticket's reason and description
    reviews = select(LedgerEntry.id).join(Review, Review.id == LedgerEntry.review_id).where(
        sa.or_(match(Review.text), match(Review.followup_text)))
    tickets = select(LedgerEntry.id).join(Ticket, Ticket.id == LedgerEntry.ticket_id).where(
        sa.or_(match(Ticket.text), match(Ticket.reason)))
    return set(session.execute(reviews.where(LedgerEntry.sku == SKU)).scalars()) | \
        set(session.execute(tickets.where(LedgerEntry.sku == SKU)).scalars())


def _search_ids(session, q, **filters):
    return set(i for chunk in TriageService(session).iter_filter_ids(Filters(sku=SKU, q=q, **filters))
               for i in chunk)


def _ticket(session, text, occurred_at):
    t = Ticket(platform="jd", dedupe_key=f"id:s-{text}", content_hash="0" * 64, sku=SKU, ticket_type="complaint",
               text=text, opened_at=occurred_at)
    session.add(t)
    session.flush()
    session.add(Classification(ticket_id=t.id, model_version="test", complaint=True, categories=["service"],
                               food_safety=False, scores={}, evidence={}, confidence=0.9, low_confidence=False))
    year, week, _ = occurred_at.isocalendar()
    entry = LedgerEntry(ticket_id=t.id, platform="jd", sku=SKU, primary_category="service", food_safety=False,
                        occurred_at=occurred_at, week=f"{year}-W{week:02d}", month=occurred_at.strftime("%Y-%m"),
                        status="new", search_text=text)
    counts = CountTracker(session, LedgerEntry.ticket_id == t.id)
    session.add(entry)
    counts.finish()
    return entry


@pytest.fixture
def texts(dbsession):
    base = dt.datetime(2026, 10, 1)
    entries = [wf.complaint(dbsession, text, sku=SKU, status=("new", "unsure", "confirmed")[i % 3],
                            food_safety=i % 4 == 0, occurred_at=base + dt.timedelta(hours=i))
               for i, text in enumerate(TEXTS)]
    entries.append(_ticket(dbsession, "工单：客服说漏气不管，Abc", base + dt.timedelta(hours=40)))
    dbsession.flush()
    return entries


def test_every_term_finds_what_like_finds(dbsession, texts):
    assert len(_like_ids(dbsession, "发霉")) == 2  # the reference sees the data
    for q in TERMS:
        expected = _like_ids(dbsession, q)
        assert _search_ids(dbsession, q, status=None) == expected, q
    assert _search_ids(dbsession, "%", status=None) == _like_ids(dbsession, "%") != set()  # escaped, not a wildcard
    assert len(_search_ids(dbsession, "_", status=None)) == 1


def test_case_follows_the_backend(dbsession, texts):
    """ILIKE folds every case on PostgreSQL (the gram index lower-cases the same way); SQLite's
    LIKE folds ASCII only."""
    assert len(_search_ids(dbsession, "abc", status=None)) == 3  # ABC, abc and the ticket's Abc
    pg = dbsession.get_bind().dialect.name == "postgresql"
    assert len(_search_ids(dbsession, "ärger", status=None)) == (1 if pg else 0)
    assert len(_search_ids(dbsession, "ÄRGER", status=None)) == 1


def test_search_combines_with_the_other_filters_and_pages(dbsession, texts, monkeypatch):
    for q in ("发霉", "霉", "漏气", "订单1234", "a"):
        for status in ("pending", "confirmed", "unsure"):
            expected = _like_ids(dbsession, q) & _search_ids(dbsession, None, status=status)
            assert _search_ids(dbsession, q, status=status) == expected, (q, status)
        expected = _like_ids(dbsession, q) & _search_ids(dbsession, None, status=None, food_safety=True)
        assert _search_ids(dbsession, q, status=None, food_safety=True) == expected
    # the queue's order and keyset pages: the same rows, in the same order, as without the text
    # filter once the non-matching rows are taken out; both ways of matching (ids from the index,
    # or the row-by-row check when a term matches more texts than TEXT_ID_LIMIT)
    svc = TriageService(dbsession)
    everything = [r.entry.id for r in svc.page(Filters(sku=SKU, status=None), limit=100, with_count=False).rows]
    for limit in (triage.TEXT_ID_LIMIT, 1):
        monkeypatch.setattr(triage, "TEXT_ID_LIMIT", limit)
        for q in ("霉", "发霉", "a", "订单"):
            matching = _like_ids(dbsession, q)
            seen, cursor = [], None
            while True:
                page = svc.page(Filters(sku=SKU, status=None, q=q), Cursor.decode(cursor), limit=2)
                seen += [r.entry.id for r in page.rows]
                assert page.count == len(matching)
                cursor = page.next_cursor
                if not cursor:
                    break
            assert seen == [i for i in everything if i in matching], (q, limit)


def _classify(session, review, complaint=True):
    """What the worker does for a (re)imported text: its classification, then the ledger builder."""
    c = session.execute(select(Classification).where(Classification.review_id == review.id)).scalar_one_or_none()
    if c is None:
        c = Classification(review_id=review.id, model_version="test", scores={}, evidence={}, confidence=0.9,
                           low_confidence=False)
        session.add(c)
    c.complaint, c.categories, c.food_safety = complaint, ["quality"] if complaint else [], False
    session.flush()
    LedgerBuilder(session).sync(review_ids=[review.id])
    session.flush()


def test_texts_written_after_the_migration_are_found(dbsession, texts):
    """New and edited texts reach the search through the ledger builder (the worker), whatever
    the verdict: a text that stops being a complaint keeps its entry (not_complaint) and is
    searched by its new text."""
    review = dbsession.get(Review, texts[1].review_id)
    assert texts[1].id in _search_ids(dbsession, "漏气", status=None)
    review.text = "封口漏水了"
    dbsession.flush()
    _classify(dbsession, review)
    assert texts[1].id not in _search_ids(dbsession, "漏气", status=None)
    assert _search_ids(dbsession, "漏水", status=None) == {texts[1].id} == _like_ids(dbsession, "漏水")
    review.text = "其实没问题，XYZ 很好吃"
    dbsession.flush()
    _classify(dbsession, review, complaint=False)
    entry = dbsession.get(LedgerEntry, texts[1].id)
    assert (entry.status, entry.search_text) == ("not_complaint", "其实没问题，XYZ 很好吃")  # copy on both backends
    assert _search_ids(dbsession, "漏水", status=None) == set() == _like_ids(dbsession, "漏水")
    assert _search_ids(dbsession, "xyz", status="not_complaint") == {texts[1].id} == _like_ids(dbsession, "xyz")

    new = Review(platform="jd", dedupe_key="id:s-new", content_hash="1" * 64, sku=SKU, text="新到的一批全是碎的 XYZ",
                 reviewed_at=dt.datetime(2026, 10, 5))
    dbsession.add(new)
    dbsession.flush()
    _classify(dbsession, new)
    entry = dbsession.execute(select(LedgerEntry).where(LedgerEntry.review_id == new.id)).scalar_one()
    assert _search_ids(dbsession, "碎", status=None) == {entry.id}
    assert _search_ids(dbsession, "xyz", status=None) == {entry.id, texts[1].id} == _like_ids(dbsession, "xyz")


def test_a_reimported_text_is_searched_at_once(dbsession, tmp_path):
    """A re-import that changes a stored text updates its entry's search copy in the same
    transaction, before the worker reclassifies it; a first import writes no ledger entry."""
    v1 = write(tmp_path / "v1.csv", csv_bytes(TAOBAO_HEADER, [taobao_row(1, text="饺子漏气了", sku=SKU),
                                                              taobao_row(2, text="饺子很好", sku=SKU)]))
    v2 = write(tmp_path / "v2.csv", csv_bytes(TAOBAO_HEADER, [taobao_row(1, text="饺子全化了，发霉", sku=SKU),
                                                              taobao_row(2, text="饺子很好", sku=SKU)]))
    import_file(dbsession, v1, "reviews")
    assert dbsession.scalar(select(sa.func.count()).select_from(LedgerEntry)) == 0
    review = dbsession.execute(select(Review).where(Review.text == "饺子漏气了")).scalar_one()
    _classify(dbsession, review)
    entry = dbsession.execute(select(LedgerEntry).where(LedgerEntry.review_id == review.id)).scalar_one()
    assert _search_ids(dbsession, "漏气", status=None) == {entry.id}
    result = import_file(dbsession, v2, "reviews")
    assert (result.updated, result.duplicates) == (1, 1)
    dbsession.expire_all()
    assert dbsession.get(LedgerEntry, entry.id).search_text == "饺子全化了，发霉"  # before any reclassification
    assert _search_ids(dbsession, "漏气", status=None) == set() == _like_ids(dbsession, "漏气")
    assert _search_ids(dbsession, "发霉", status=None) == {entry.id} == _like_ids(dbsession, "发霉")
    # a 追评 that arrives in a later export is searchable at once too
    v3 = write(tmp_path / "v3.csv", csv_bytes(TAOBAO_HEADER, [
        taobao_row(1, text="饺子全化了，发霉", followup="追评：孩子吃了拉肚子", sku=SKU),
        taobao_row(2, text="饺子很好", sku=SKU)]))
    assert import_file(dbsession, v3, "reviews").updated == 1
    dbsession.expire_all()
    assert dbsession.get(LedgerEntry, entry.id).search_text == "饺子全化了，发霉\n追评：孩子吃了拉肚子"
    assert _search_ids(dbsession, "拉肚子", status=None) == {entry.id} == _like_ids(dbsession, "拉肚子")


def test_a_follow_up_and_a_ticket_reason_are_searched(dbsession, texts):
    """The classifier reads a review's 追评 and a ticket's platform reason, so the search finds a
    complaint by those words too (the builder's copy holds them, one per line)."""
    review = dbsession.get(Review, texts[6].review_id)  # "abc 太贵了"
    review.followup_text = "追评：吃了一周，袋底有死虫"
    dbsession.flush()
    _classify(dbsession, review)
    assert dbsession.get(LedgerEntry, texts[6].id).search_text == "abc 太贵了\n追评：吃了一周，袋底有死虫"
    assert _search_ids(dbsession, "死虫", status=None) == {texts[6].id} == _like_ids(dbsession, "死虫")
    ticket = Ticket(platform="jd", dedupe_key="id:s-reason", content_hash="2" * 64, sku=SKU, ticket_type="refund",
                    reason="商品变质/发霉/有异物", text="", opened_at=dt.datetime(2026, 10, 6))
    dbsession.add(ticket)
    dbsession.flush()
    dbsession.add(Classification(ticket_id=ticket.id, model_version="test", complaint=True,
                                 categories=["freshness"], food_safety=True, scores={}, evidence={},
                                 confidence=0.75, low_confidence=False))
    dbsession.flush()
    LedgerBuilder(dbsession).sync(ticket_ids=[ticket.id])
    dbsession.flush()
    entry = dbsession.execute(select(LedgerEntry).where(LedgerEntry.ticket_id == ticket.id)).scalar_one()
    assert entry.search_text == "商品变质/发霉/有异物\n"
    assert entry.id in _search_ids(dbsession, "有异物", status=None) == _like_ids(dbsession, "有异物")


def test_postgresql_reads_candidates_from_the_gram_index(dbsession, texts):
    if dbsession.get_bind().dialect.name != "postgresql":
        pytest.skip("the gram index is PostgreSQL's; SQLite scans the texts")
    dbsession.execute(sa.text("SET LOCAL enable_seqscan = off"))
    for q in ("霉", "发霉", "订单1234"):
        stmt = select(LedgerEntry.id).where(triage.gram_candidates(LedgerEntry.search_text, q))
        sql = str(stmt.compile(dbsession.get_bind(), compile_kwargs={"literal_binds": True}))
        plan = "\n".join(dbsession.execute(sa.text("EXPLAIN " + sql)).scalars())
        assert "ix_ledger_entries_search_grams" in plan, plan
    # the imported texts carry no search index: importing them pays nothing for it
    indexes = dbsession.execute(sa.text("SELECT indexdef FROM pg_indexes WHERE tablename IN ('reviews', 'tickets')"))
    assert not [d for d in indexes.scalars() if "gin" in d.lower() or "grams" in d], "reviews/tickets index"


def test_texts_stored_before_the_migration_are_found(fresh_db_url):
    """The migration fills the copy for the entries that exist (and its downgrade keeps them)."""
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    with Session(engine) as session, session.begin():
        old = wf.complaint(session, "旧评价：纸箱漏气", sku=SKU)
        old_id = old.id
    with engine.begin() as connection:
        command.downgrade(_config(connection), "9e7a4c26fa15")  # drops the column and its copies
    with engine.begin() as connection:
        command.upgrade(_config(connection), "heads")
    with Session(engine) as session:
        assert session.get(LedgerEntry, old_id).search_text == "旧评价：纸箱漏气"
        assert _search_ids(session, "漏气", status=None) == {old_id} == _like_ids(session, "漏气")
        assert _search_ids(session, "纸", status=None) == {old_id}
    engine.dispose()
