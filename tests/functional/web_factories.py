"""Test data for the web UI tests (issue 5): users, reviews with classification and ledger entry,
tasks. Plain functions over a session; each returns the ORM object it made."""
from __future__ import annotations

import datetime as dt
import itertools

from feedback.models import (
    Classification,
    LedgerCategory,
    LedgerEntry,
    Review,
    RootCauseTask,
    TaskEvent,
    TaskEvidence,
)
from feedback.services.accounts import create_user
from feedback.services.departments import ensure_departments
from feedback.services.ledger_counts import CountTracker

PASSWORD = "correct-horse-42"
_seq = itertools.count(1)


def departments(session):
    return ensure_departments(session)


def user(session, role="manager", username=None, dept=None, password=PASSWORD):
    n = next(_seq)
    username = username or f"{role}{n}"
    if role == "dept_head" and dept is None:
        dept = "qc"
    if dept:
        departments(session)
    return create_user(session, username, password, role, department_code=dept, display_name=username)


def complaint(session, text="收到的饼干发霉了，吃了拉肚子", *, categories=("freshness",), food_safety=False,
              low_confidence=False, confidence=0.9, status="new", platform="taobao", sku="SKU-1",
              batch="B1", carrier="顺丰", rating=1, occurred_at=None, evidence=None, scores=None, complaint=True):
    """A review, its classification and its ledger entry. ``complaint=False`` with
    ``status="unsure"``: a low-confidence "not a complaint" (the classifier's categories empty)."""
    n = next(_seq)
    occurred_at = occurred_at or dt.datetime(2026, 11, 1, 12, 0) + dt.timedelta(minutes=n)
    review = Review(platform=platform, dedupe_key=f"id:t{n}", external_id=f"t{n}", content_hash=f"{n:064d}",
                    sku=sku, rating_stars=rating, rating_level="bad" if rating and rating <= 2 else "neutral",
                    text=text, reviewed_at=occurred_at, platform_order_id=f"PO{n}")
    session.add(review)
    session.flush()
    cats = list(categories)
    session.add(Classification(
        review_id=review.id, model_version="test", complaint=complaint, categories=cats if complaint else [],
        food_safety=food_safety,
        scores=scores or {c: 0.9 for c in cats}, evidence=evidence if evidence is not None else {},
        confidence=confidence, low_confidence=low_confidence))
    year, week, _ = occurred_at.isocalendar()
    counts = CountTracker(session, LedgerEntry.review_id == review.id)  # as the ledger builder does
    entry = LedgerEntry(review_id=review.id, platform=platform, sku=sku, product_name="测试商品", batch_code=batch,
                        carrier=carrier, warehouse="杭州仓", rating_stars=rating, rating_level="bad",
                        primary_category=cats[0] if cats else "other", food_safety=food_safety,
                        occurred_at=occurred_at, week=f"{year}-W{week:02d}", month=occurred_at.strftime("%Y-%m"),
                        status=status, search_text=text)  # search_text: the builder's copy of the text
    entry.categories = [LedgerCategory(category=c) for c in cats]
    session.add(entry)
    counts.finish()
    return entry


def task(session, dept_code="qc", *, status="open", entries=(), title=None, overdue=False, category="freshness",
         sku=None):
    depts = departments(session)
    n = next(_seq)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    sku = sku or f"SKU-{n}"
    key = f"{category}:sku={sku}"
    t = RootCauseTask(cause_key=key, active_cause_key=key if status != "verified" else None, category=category,
                      department_id=depts[dept_code].id, title=title or f"任务 {n}", status=status,
                      severity="high", complaint_count=len(entries),
                      sla_due_at=now + dt.timedelta(hours=-5 if overdue else 48), attributes={"sku": sku})
    session.add(t)
    session.flush()
    for e in entries:
        session.add(TaskEvidence(task_id=t.id, ledger_entry_id=e.id))
    session.add(TaskEvent(task_id=t.id, actor="system", from_status=None, to_status=status, comment="自动创建"))
    session.flush()
    return t


def login(testapp, username, password=PASSWORD, status=303):
    page = testapp.get("/login")
    form = page.forms[0]
    form["username"] = username
    form["password"] = password
    return form.submit(status=status)


def csrf(testapp) -> str:
    """The session's CSRF token, read from a page's form."""
    page = testapp.get("/login" if False else "/tasks")
    return page.html.find("input", {"name": "csrf_token"})["value"]
