"""From stored rows to the drafter's input: the classification, the order facts and the corrective
actions of the root-cause tasks the review's ledger entry is attached to."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from nlp.base import model_evidence_labels

from ...models import Classification, LedgerEntry, Order, Review, RootCauseTask, TaskEvidence
from .engine import ReplyFacts, ReplyInput


def _date(value) -> dt.date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def review_order(session: Session, review: Review) -> Order | None:
    if review.order is not None:
        return review.order
    if not review.platform_order_id:
        return None
    rows = session.execute(
        select(Order).where(Order.platform == review.platform, Order.platform_order_id == review.platform_order_id)
        .order_by(Order.id)
    ).scalars().all()
    if review.sku:
        for row in rows:
            if row.sku == review.sku:
                return row
    return rows[0] if rows else None


def corrective_actions(session: Session, entry: LedgerEntry | None) -> dict[str, str]:
    """category -> written corrective action of the tasks this ledger entry is evidence for."""
    if entry is None:
        return {}
    tasks = session.execute(
        select(RootCauseTask).join(TaskEvidence, TaskEvidence.task_id == RootCauseTask.id)
        .where(TaskEvidence.ledger_entry_id == entry.id).order_by(RootCauseTask.id)
    ).scalars().all()
    out: dict[str, str] = {}
    for task in tasks:
        action = (task.corrective_action or "").strip()
        if action:
            out.setdefault(task.category, action)
    return out


def build_input(session: Session, review: Review, classification: Classification | None) -> ReplyInput:
    order = review_order(session, review)
    entry = session.execute(select(LedgerEntry).where(LedgerEntry.review_id == review.id)).scalar_one_or_none()
    product = review.product or (order.product if order else None)
    batch = order.batch if order else None
    facts = ReplyFacts(
        product=(product.name if product and product.name else None) or (entry.product_name if entry else None),
        order_date=_date(order.paid_at) if order else None,
        carrier=(order.carrier if order else None) or (entry.carrier if entry else None),
        ship_date=_date(order.shipped_at) if order else None,
        sign_date=_date(order.signed_at) if order else None,
        paid_date=_date(order.paid_at) if order else None,
        production_date=(batch.production_date if batch else None) or (entry.production_date if entry else None),
        batch_code=(batch.batch_code if batch else None) or (entry.batch_code if entry else None),
        near_expiry=bool(entry.near_expiry) if entry else False,
        shelf_left_ratio=entry.shelf_life_left_ratio if entry else None,
        corrective=corrective_actions(session, entry),
    )
    text = review.text or ""
    if review.followup_text:
        text = f"{text}\n{review.followup_text}"
    cls = classification
    categories = list(cls.categories or []) if cls is not None and cls.complaint else []
    evidence = dict(cls.evidence or {}) if cls is not None else {}
    return ReplyInput(
        key=str(review.id), text=text, categories=categories,
        evidence={k: list(v) for k, v in evidence.items() if isinstance(v, list)},
        food_safety=bool(cls.food_safety) if cls is not None else False,
        model_evidence=frozenset(model_evidence_labels(cls.sources) if cls is not None else ()),
        buyer_tier=review.buyer_tier, facts=facts)
