"""Test data made by inserting model rows directly. Plain functions over a session; each returns
the ORM object it made and flushes, so ids are there. Other engineers: add functions, keep these."""
from __future__ import annotations

import datetime as dt
import itertools

from feedback.models import (
    Department,
    LedgerCategory,
    LedgerEntry,
    Order,
    Review,
    RootCauseTask,
    Shop,
    TaskEvent,
    TaskEvidence,
    Ticket,
)
from feedback.services.departments import ensure_departments
from feedback.services.ledger_counts import CountTracker

_seq = itertools.count(1)


def departments(session) -> dict[str, Department]:
    return ensure_departments(session)


def shop(session, platform="taobao", name=None) -> Shop:
    s = Shop(platform=platform, name=name or f"测试店铺{next(_seq)}")
    session.add(s)
    session.flush()
    return s


def order(session, *, sku="SKU-1", paid_at=None, carrier="顺丰", warehouse="杭州仓", platform="taobao",
          region="浙江") -> Order:
    n = next(_seq)
    o = Order(platform=platform, platform_order_id=f"O{n}", sku=sku, carrier=carrier, warehouse=warehouse,
              region=region, paid_at=paid_at or dt.datetime(2026, 11, 2, 10, 0))
    session.add(o)
    session.flush()
    return o


def review(session, *, text="好吃", rating=5, platform="taobao", sku="SKU-1", reviewed_at=None,
           buyer_nick=None, followup_text=None, shop_id=None) -> Review:
    n = next(_seq)
    r = Review(platform=platform, dedupe_key=f"id:f{n}", external_id=f"f{n}", content_hash=f"{n:064d}",
               sku=sku, rating_stars=rating,
               rating_level="bad" if rating <= 2 else ("neutral" if rating == 3 else "good"),
               text=text, reviewed_at=reviewed_at or dt.datetime(2026, 11, 2, 12, 0),
               platform_order_id=f"PO{n}", buyer_nick=buyer_nick or f"买家{n}", followup_text=followup_text,
               shop_id=shop_id)
    session.add(r)
    session.flush()
    return r


def ticket(session, *, text="要求退款", ticket_type="refund", platform="jd", sku="SKU-1", opened_at=None,
           amount=None) -> Ticket:
    n = next(_seq)
    t = Ticket(platform=platform, dedupe_key=f"id:tk{n}", external_id=f"tk{n}", content_hash=f"{n:064d}",
               sku=sku, ticket_type=ticket_type, text=text, amount=amount,
               opened_at=opened_at or dt.datetime(2026, 11, 2, 12, 0), platform_order_id=f"TO{n}")
    session.add(t)
    session.flush()
    return t


def ledger_entry(session, *, occurred_at=None, categories=("freshness",), food_safety=False, near_expiry=False,
                 sku="SKU-1", product_name="测试商品", batch_code="B1", carrier="顺丰", warehouse="杭州仓",
                 region="浙江", platform="taobao", status="new", rating=1, text="收到就坏了", source="review",
                 review_obj=None, ticket_obj=None) -> LedgerEntry:
    """A complaint: a review (or ticket) and its ledger entry with one row per category."""
    occurred_at = occurred_at or dt.datetime(2026, 11, 3, 9, 0)
    if source == "review" and review_obj is None:
        review_obj = review(session, text=text, rating=rating, platform=platform, sku=sku, reviewed_at=occurred_at)
    if source == "ticket" and ticket_obj is None:
        ticket_obj = ticket(session, text=text, platform=platform, sku=sku, opened_at=occurred_at)
    year, week, _ = occurred_at.isocalendar()
    cats = list(categories) or ["other"]
    counts = CountTracker(session, LedgerEntry.review_id == review_obj.id if review_obj is not None
                          else LedgerEntry.ticket_id == ticket_obj.id)  # as the ledger builder does
    entry = LedgerEntry(
        review_id=review_obj.id if review_obj is not None else None,
        ticket_id=ticket_obj.id if ticket_obj is not None else None,
        platform=platform, sku=sku, product_name=product_name, batch_code=batch_code,
        production_date=dt.date(2026, 10, 1), expiry_date=dt.date(2027, 1, 1), shelf_life_left_ratio=0.5,
        near_expiry=near_expiry, warehouse=warehouse, carrier=carrier, region=region,
        rating_stars=rating if review_obj is not None else None,
        rating_level="bad" if review_obj is not None else None,
        primary_category=cats[0], food_safety=food_safety, occurred_at=occurred_at,
        week=f"{year}-W{week:02d}", month=occurred_at.strftime("%Y-%m"), status=status,
        search_text=(review_obj if review_obj is not None else ticket_obj).text,  # as the builder copies it
    )
    entry.categories = [LedgerCategory(category=c) for c in cats]
    session.add(entry)
    counts.finish()
    return entry


def root_cause_task(session, dept_code="qc", *, category="freshness", cause_key=None, status="open",
                    opened_at=None, resolved_at=None, verified_at=None, sla_due_at=None, rate_before=None,
                    rate_after=None, entries=(), title=None, food_safety=False) -> RootCauseTask:
    depts = departments(session)
    n = next(_seq)
    key = cause_key or f"{category}|sku=SKU-{n}"
    opened_at = opened_at or dt.datetime(2026, 11, 3, 10, 0)
    t = RootCauseTask(
        cause_key=key, active_cause_key=None if status == "verified" else key, category=category,
        department_id=depts[dept_code].id, title=title or f"根因任务{n}", status=status, severity="normal",
        food_safety=food_safety, complaint_count=len(entries), opened_at=opened_at, resolved_at=resolved_at,
        verified_at=verified_at, sla_due_at=sla_due_at or opened_at + dt.timedelta(hours=72),
        rate_before=rate_before, rate_after=rate_after, attributes={}, key_phrases=[],
    )
    session.add(t)
    session.flush()
    for e in entries:
        session.add(TaskEvidence(task_id=t.id, ledger_entry_id=e.id))
    session.add(TaskEvent(task_id=t.id, actor="system", from_status=None, to_status="open", comment="创建",
                          created_at=opened_at))
    session.flush()
    return t


def task_event(session, task: RootCauseTask, to_status: str, at: dt.datetime, from_status=None) -> TaskEvent:
    ev = TaskEvent(task_id=task.id, actor="system", from_status=from_status, to_status=to_status, created_at=at)
    session.add(ev)
    session.flush()
    return ev


def reply_draft(session, review_obj: Review, status="approved", text="亲，非常抱歉给您带来不好的体验"):
    from feedback.models.replies import ReplyDraft

    d = ReplyDraft(review_id=review_obj.id, platform=review_obj.platform, text=text, draft_text=text, status=status)
    session.add(d)
    session.flush()
    return d
