"""Write background jobs in the caller's transaction (the transactional outbox).

Nothing is sent to the broker here: the job row commits or rolls back with the data it concerns,
and the workflows sweeper enqueues pending rows (see workflows/). Actor names are the dramatiq
actor names; payloads are JSON keyword arguments for them (ids, never ORM objects).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import OutboxJob

CHUNK = 200  # ids per classification job: short actors, so redelivery after a crash is cheap


def add_job(session: Session, actor_name: str, payload: dict, dedupe_key: str | None = None) -> OutboxJob | None:
    """Add a job; with a dedupe_key already present, add nothing and return None."""
    if dedupe_key is not None:
        found = session.execute(select(OutboxJob.id).where(OutboxJob.dedupe_key == dedupe_key)).first()
        if found:
            return None
    job = OutboxJob(actor_name=actor_name, payload=payload, dedupe_key=dedupe_key)
    session.add(job)
    return job


def request_classification(session: Session, review_ids=(), ticket_ids=(), force: bool = False) -> int:
    """Queue (re)classification of these reviews/tickets, in chunks. Returns the jobs added.
    ``force``: classify them again even when their classification is current (after the
    classifier's rules changed under the same model version); manager corrections still win."""
    added = 0
    for actor, ids in (("classify_reviews", list(review_ids)), ("classify_tickets", list(ticket_ids))):
        for start in range(0, len(ids), CHUNK):
            add_job(session, actor, {"ids": ids[start:start + CHUNK]} | ({"force": True} if force else {}))
            added += 1
    return added
