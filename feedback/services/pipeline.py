"""The pipeline step behind one classification message: classify → ledger → root-cause tasks.

``classify_and_ledger`` is what the ``classify_reviews``/``classify_tickets`` actors run:

1. read the texts in a short read-only transaction,
2. classify them with no transaction open (inference may take seconds; on SQLite no write lock is
   held meanwhile),
3. in ONE write transaction: upsert the ``Classification`` rows, sync the ledger entries and group
   them into tasks, and mark the outbox job done. A worker killed anywhere leaves either all of it
   or none of it; running the same message again changes nothing (an item whose classification is
   newer than its text and made by the same model is skipped).
"""
from __future__ import annotations

import dataclasses
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Classification, OutboxJob, Review, Ticket
from ..models.meta import utcnow
from .ledger import LedgerBuilder, with_followup
from .rootcause import Grouper
from .workflow_config import WorkflowConfig

log = logging.getLogger(__name__)


@dataclasses.dataclass
class StepResult:
    classified: int = 0
    skipped: int = 0
    ledger_entries: int = 0
    opened: list = dataclasses.field(default_factory=list)
    notification_ids: list = dataclasses.field(default_factory=list)


def _texts(session: Session, kind: str, ids: list[int]) -> list[dict]:
    model = Review if kind == "review" else Ticket
    cols = [model.id, model.text, model.updated_at]
    cols += [Review.rating_stars, Review.followup_text, Review.rating_level] if kind == "review" else [Ticket.reason]
    rows = session.execute(select(*cols).where(model.id.in_(ids))).all()
    out = []
    for row in rows:
        text = row[1] or ""
        if kind == "review":
            # a complaint often comes in the follow-up (追评: "吃了几天发现有虫"): it is read too
            out.append({"id": row[0], "text": with_followup(text, row[4]) or "", "rating": row[3],
                        "level": row[5], "updated_at": row[2]})
        else:
            # the platform's reason is a menu choice, read by nlp.tickets next to the buyer's words
            out.append({"id": row[0], "text": text, "reason": row[3] or "", "updated_at": row[2]})
    return out


def _current(session: Session, kind: str, ids: list[int]) -> dict[int, Classification]:
    col = Classification.review_id if kind == "review" else Classification.ticket_id
    return {getattr(c, kind + "_id"): c for c in session.execute(select(Classification).where(col.in_(ids))).scalars()}


def classify_and_ledger(session_factory, classifier, kind: str, ids: list[int], config: WorkflowConfig,
                        outbox_id: int | None = None, force: bool = False,
                        read_session_factory=None) -> StepResult:
    """Run one message. ``session_factory`` makes plain sessions (``read_session_factory``, if
    given, read-only ones: on SQLite a deferred BEGIN); ``kind`` is review or ticket."""
    assert kind in ("review", "ticket")
    ids = sorted({int(i) for i in ids})
    result = StepResult()
    model_version = getattr(classifier, "version", None)

    # 1. read (no write lock: SQLite readers run beside the writer under WAL)
    with (read_session_factory or session_factory)() as session:
        items = _texts(session, kind, ids)
        current = _current(session, kind, ids)
    todo = []
    for it in items:
        c = current.get(it["id"])
        fresh = c is not None and it["updated_at"] is not None and c.updated_at >= it["updated_at"]
        if fresh and not force and (model_version is None or c.model_version == model_version):
            result.skipped += 1
        else:
            todo.append(it)

    # 2. classify, outside any transaction (a review of a bare rating has nothing to read; a
    # ticket always has its reason or its text)
    bare = [it for it in todo if kind == "review" and not has_words(it["text"])]
    bare_ids = {it["id"] for it in bare}
    words = [it for it in todo if it["id"] not in bare_ids]
    results = classifier.classify_batch([{k: v for k, v in it.items() if k not in ("updated_at", "level")}
                                         for it in words]) if words else []
    by_id = {r.id: r for r in results}
    by_id.update({it["id"]: bare_rating_result(it, model_version) for it in bare})

    # 3. one write transaction
    with session_factory() as session, session.begin():
        current = _current(session, kind, [it["id"] for it in todo])
        now = utcnow()
        for it in todo:
            r = by_id.get(it["id"])
            if r is None:
                continue
            if r.error:
                log.warning("classifier error on %s %s: %s", kind, it["id"], r.error)
            c = current.get(it["id"])
            if c is None:
                c = Classification(**{kind + "_id": it["id"]}, created_at=now)
                session.add(c)
            c.model_version = r.model or "unknown"
            c.complaint = bool(r.complaint)
            c.categories = list(r.categories or [])
            c.food_safety = bool(r.food_safety)
            c.scores = dict(r.scores or {})
            c.evidence = {k: list(v) for k, v in (r.evidence or {}).items()}
            c.sources = dict(r.sources or {})
            c.confidence = float(r.confidence or 0.0)
            c.low_confidence = bool(r.low_confidence or r.error)
            c.updated_at = now
            result.classified += 1
        session.flush()
        builder = LedgerBuilder(session, config)
        entries = builder.sync(review_ids=ids if kind == "review" else (),
                               ticket_ids=ids if kind == "ticket" else ())
        result.ledger_entries = len(entries)
        grouping = Grouper(session, config).process(entries)
        result.opened = grouping.opened
        result.notification_ids = grouping.notification_ids
        if outbox_id is not None:
            mark_done(session, outbox_id)
    return result


def has_words(text: str | None) -> bool:
    """A text holds something to read: a letter, a digit or a CJK character."""
    return any(ch.isalnum() for ch in text or "")


@dataclasses.dataclass
class BareRating:
    """The verdict on a review without a word (a 1★ with an empty text, as PDD and JD export
    many): no complaint (a bare low rating is none, TAXONOMY.md), but a low one (1-2★ or 差评) is
    flagged low-confidence, so it waits in triage as 疑似投诉 for a manager to see and decide;
    3★ and up get no ledger entry."""

    id: int
    low_confidence: bool
    model: str | None
    complaint: bool = False
    categories: tuple = ()
    food_safety: bool = False
    scores: dict = dataclasses.field(default_factory=dict)
    evidence: dict = dataclasses.field(default_factory=dict)
    sources: dict = dataclasses.field(default_factory=lambda: {"rating": "no text"})
    confidence: float = 1.0
    error: str | None = None


def bare_rating_result(item: dict, model_version: str | None) -> BareRating:
    stars, level = item.get("rating"), item.get("level")
    low = (stars is not None and stars <= 2) or (stars is None and level == "bad")
    return BareRating(item["id"], low_confidence=low, model=model_version, confidence=0.0 if low else 1.0)


def resync_ledger(session: Session, config: WorkflowConfig, review_ids=(), ticket_ids=(),
                  outbox_id: int | None = None) -> StepResult:
    """Ledger + grouping again for these items (after a label correction); caller commits."""
    entries = LedgerBuilder(session, config).sync(review_ids=review_ids, ticket_ids=ticket_ids)
    grouping = Grouper(session, config).process(entries)
    if outbox_id is not None:
        mark_done(session, outbox_id)
    return StepResult(ledger_entries=len(entries), opened=grouping.opened,
                      notification_ids=grouping.notification_ids)


def mark_done(session: Session, outbox_id: int) -> None:
    job = session.get(OutboxJob, outbox_id)
    if job is not None and job.status != "done":
        job.status, job.done_at, job.last_error = "done", utcnow(), None
