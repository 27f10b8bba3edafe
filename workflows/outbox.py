"""The outbox sweeper and the pending-work sweep: the database decides what is pending.

Writers never talk to the broker inside their transaction: they add ``OutboxJob`` rows
(feedback/services/outbox.py) that commit or roll back with their data. ``sweep_outbox`` (run by
the scheduler every few seconds) sends each pending job to its actor and marks it ``enqueued``;
when the broker is down the job simply stays ``pending`` (with ``last_error``) and goes out on a
later sweep. The actor marks the job ``done`` in its own transaction. A job ``enqueued`` for longer
than ``feedback.outbox_stuck_seconds`` (its message was lost: a flushed Redis, a dead-lettered
message) is sent again; after ``feedback.outbox_max_attempts`` sends it is marked ``failed``.

``sweep_pending_work`` is the second net: reviews/tickets with no classification (or one older
than the text) and no classification job in flight get one, so even work that never had an
outbox row is picked up.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import dramatiq
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session

from feedback.models import Classification, LabelCorrection, LedgerEntry, OutboxJob, Review, Ticket
from feedback.models.meta import utcnow
from feedback.services.outbox import add_job, request_classification
from feedback.services.workflow_config import WorkflowConfig

log = logging.getLogger("workflows")


@dataclasses.dataclass
class SweepResult:
    enqueued: int = 0
    reenqueued: int = 0
    failed: int = 0
    error: str | None = None


def _send(broker: dramatiq.Broker, job: OutboxJob) -> None:
    actor = broker.get_actor(job.actor_name)  # ActorNotFound: a programming error, job fails
    kwargs = dict(job.payload or {})
    kwargs["outbox_id"] = job.id
    actor.send_with_options(kwargs=kwargs)


def sweep_outbox(session_factory, broker: dramatiq.Broker | None = None, config: WorkflowConfig | None = None,
                 now: dt.datetime | None = None, limit: int = 500) -> SweepResult:
    """Enqueue pending jobs (and stuck ones again). Safe to run concurrently with itself and with
    the actors: each row is claimed with a conditional UPDATE before its message is sent."""
    broker = broker or dramatiq.get_broker()
    config = config or WorkflowConfig()
    now = now or utcnow()
    stuck_before = now - dt.timedelta(seconds=config.outbox_stuck_seconds)
    result = SweepResult()
    with session_factory() as session, session.begin():
        jobs = session.execute(
            select(OutboxJob).where(or_(
                OutboxJob.status == "pending",
                (OutboxJob.status == "enqueued") & (OutboxJob.enqueued_at < stuck_before),
            )).order_by(OutboxJob.id).limit(limit)).scalars().all()
        for job in jobs:
            was = job.status
            if was == "enqueued" and job.attempts >= config.outbox_max_attempts:
                job.status = "failed"
                job.last_error = (job.last_error or "") + f"\n放弃：已发送 {job.attempts} 次仍未完成 (gave up)"
                result.failed += 1
                continue
            try:
                with session.begin_nested():
                    claimed = session.execute(
                        update(OutboxJob).where(OutboxJob.id == job.id, OutboxJob.status == was,
                                                OutboxJob.attempts == job.attempts)
                        .values(status="enqueued", enqueued_at=now, attempts=OutboxJob.attempts + 1)
                        .execution_options(synchronize_session=False)).rowcount
                    if not claimed:
                        continue
                    try:
                        _send(broker, job)
                    except dramatiq.errors.ActorNotFound as exc:
                        session.execute(update(OutboxJob).where(OutboxJob.id == job.id).values(
                            status="failed", last_error=f"未知任务类型 (unknown actor): {exc}"))
                        result.failed += 1
                        continue
            except Exception as exc:  # noqa: BLE001 - broker down: leave it pending, try later
                result.error = f"{type(exc).__name__}: {exc}"
                session.execute(update(OutboxJob).where(OutboxJob.id == job.id)
                                .values(last_error=f"enqueue failed: {result.error}"[:2000]))
                log.warning("outbox: broker unavailable, %d jobs stay pending: %s", len(jobs), result.error)
                break
            if was == "pending":
                result.enqueued += 1
            else:
                result.reenqueued += 1
    return result


def _unclassified(session: Session, model, col, cutoff: dt.datetime, limit: int) -> list[int]:
    c = Classification
    stmt = (select(model.id).outerjoin(c, col == model.id)
            .where(model.created_at < cutoff,
                   or_(c.id.is_(None), model.updated_at > c.updated_at))
            .order_by(model.id).limit(limit))
    return list(session.execute(stmt).scalars())


def _needs_entry(subject, corrected_subject):
    """A classification that must have a ledger entry: a complaint, or an unsure "not a complaint"
    (low confidence, no manager's correction: LedgerBuilder gives it status ``unsure``). This also
    brings in the unsure texts classified before that status existed."""
    return or_(Classification.complaint.is_(True),
               and_(Classification.low_confidence.is_(True),
                    ~exists().where(corrected_subject == subject)))


def sweep_pending_work(session: Session, config: WorkflowConfig | None = None,
                       now: dt.datetime | None = None, limit: int = 5000) -> int:
    """Add classification jobs for items that need one and have none in flight; add ledger jobs
    for complaints (and unsure texts) without a ledger entry. Returns the jobs added (caller commits)."""
    config = config or WorkflowConfig()
    now = now or utcnow()
    cutoff = now - dt.timedelta(seconds=config.pending_grace_seconds)
    in_flight = session.execute(select(OutboxJob.actor_name).where(
        OutboxJob.status.in_(("pending", "enqueued")),
        OutboxJob.actor_name.in_(("classify_reviews", "classify_tickets", "update_ledger"))).distinct()).scalars()
    busy = set(in_flight)
    added = 0
    reviews = [] if "classify_reviews" in busy else _unclassified(session, Review, Classification.review_id, cutoff, limit)
    tickets = [] if "classify_tickets" in busy else _unclassified(session, Ticket, Classification.ticket_id, cutoff, limit)
    if reviews or tickets:
        added += request_classification(session, reviews, tickets)
    if "update_ledger" not in busy:
        missing = list(session.execute(
            select(Classification.review_id).where(
                _needs_entry(Classification.review_id, LabelCorrection.review_id),
                Classification.review_id.is_not(None), Classification.updated_at < cutoff,
                ~exists().where(LedgerEntry.review_id == Classification.review_id)).limit(limit)).scalars())
        missing_t = list(session.execute(
            select(Classification.ticket_id).where(
                _needs_entry(Classification.ticket_id, LabelCorrection.ticket_id),
                Classification.ticket_id.is_not(None), Classification.updated_at < cutoff,
                ~exists().where(LedgerEntry.ticket_id == Classification.ticket_id)).limit(limit)).scalars())
        if missing or missing_t:
            add_job(session, "update_ledger", {"review_ids": missing, "ticket_ids": missing_t})
            added += 1
    session.flush()
    return added
