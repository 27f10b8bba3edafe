"""Test data for the reply tests (issue 6): a classified review with its order, batch, ledger entry
and, optionally, a root-cause task with a written corrective action."""
from __future__ import annotations

import datetime as dt
import itertools

from feedback.models import Batch, Classification, Order, Product, Review
from tests import factories

_seq = itertools.count(1)


def complaint(session, text, categories, evidence=None, *, food_safety=False, platform="taobao", tier=None,
              rating=1, product="赣南脐橙5斤装", carrier="中通快递", reviewed_at=None, followup_at=None,
              paid=dt.datetime(2026, 11, 1, 9, 0), shipped=dt.datetime(2026, 11, 2, 18, 0),
              signed=dt.datetime(2026, 11, 7, 10, 0), production_date=dt.date(2026, 10, 20),
              corrective=None, corrective_category=None, complaint=True, sources=None) -> Review:
    n = next(_seq)
    sku = f"RSKU-{n}"
    prod = Product(sku=sku, name=product, shelf_life_days=30)
    session.add(prod)
    session.flush()
    batch = Batch(product_id=prod.id, batch_code=f"B{n:04d}", production_date=production_date)
    session.add(batch)
    session.flush()
    order = Order(platform=platform, platform_order_id=f"RO{n}", sku=sku, product_id=prod.id, batch_id=batch.id,
                  carrier=carrier, paid_at=paid, shipped_at=shipped, signed_at=signed)
    session.add(order)
    session.flush()
    reviewed_at = reviewed_at or dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=1)
    review = Review(platform=platform, dedupe_key=f"id:rv{n}", external_id=f"rv{n}", content_hash=f"r{n:063d}",
                    sku=sku, product_id=prod.id, order_id=order.id, platform_order_id=order.platform_order_id,
                    rating_stars=rating, rating_level="bad" if rating <= 2 else ("neutral" if rating == 3 else "good"),
                    text=text, reviewed_at=reviewed_at, followup_at=followup_at, buyer_tier=tier)
    session.add(review)
    session.flush()
    session.add(Classification(review_id=review.id, model_version="test", complaint=complaint,
                               categories=list(categories), food_safety=food_safety,
                               evidence=evidence or {}, sources=sources or {}, scores={}, confidence=0.9))
    session.flush()
    if corrective is not None:
        entry = factories.ledger_entry(session, categories=categories or ["other"], review_obj=review,
                                       platform=platform, sku=sku, product_name=product, carrier=carrier)
        factories.root_cause_task(session, category=corrective_category or (categories or ["other"])[0],
                                  entries=[entry])
        task = entry_task(session, entry)
        task.corrective_action = corrective
        session.flush()
    return review


def entry_task(session, entry):
    from sqlalchemy import select

    from feedback.models import RootCauseTask, TaskEvidence

    return session.execute(select(RootCauseTask).join(TaskEvidence).where(
        TaskEvidence.ledger_entry_id == entry.id)).scalar_one()
