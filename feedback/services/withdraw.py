"""What follows when a manager says an entry is no complaint (非投诉): it stops being evidence of the
department tasks still open, and the apology drafted for it leaves the reply queue.

Before, a task kept counting entries the manager had cleared ("13 条投诉" with 11 of them praise) and
their drafts stayed approvable. Verified tasks keep their evidence: that is the record of a closed
case. Approved or posted replies stay too: they were already published.
"""
from __future__ import annotations

from collections import Counter

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..models import LedgerEntry, ReplyDraft, Review, RootCauseTask, TaskEvent, TaskEvidence, User
from ..models.meta import utcnow
from ..models.tasks import ACTIVE_TASK_STATUSES
from .replies.workflow import needs_reply

#: reply drafts nobody has published yet
UNPUBLISHED = ("draft", "edited", "held")


def withdraw_non_complaints(session: Session, entry_ids: list[int], user: User | None) -> tuple[int, int]:
    """Detach these (now non-complaint) entries from active tasks and drop the unpublished reply
    drafts of their reviews when nothing else calls for a reply. Returns (evidence rows, drafts)."""
    if not entry_ids:
        return 0, 0
    evidence = session.execute(
        select(TaskEvidence.task_id, TaskEvidence.ledger_entry_id)
        .join(RootCauseTask, RootCauseTask.id == TaskEvidence.task_id)
        .where(TaskEvidence.ledger_entry_id.in_(entry_ids), RootCauseTask.status.in_(ACTIVE_TASK_STATUSES))
    ).all()
    per_task = Counter(task_id for task_id, _ in evidence)
    if evidence:
        session.execute(delete(TaskEvidence).where(TaskEvidence.task_id.in_(per_task),
                                                   TaskEvidence.ledger_entry_id.in_(entry_ids))
                        .execution_options(synchronize_session=False))
        actor = user.username if user is not None else "system"
        now = utcnow()
        for task in session.execute(select(RootCauseTask).where(RootCauseTask.id.in_(per_task))).scalars():
            task.complaint_count = session.execute(
                select(func.count()).select_from(TaskEvidence).where(TaskEvidence.task_id == task.id)).scalar_one()
            session.add(TaskEvent(task_id=task.id, user_id=user.id if user is not None else None, actor=actor,
                                  created_at=now,
                                  comment=f"{per_task[task.id]} 条被标为非投诉，已移出本任务的证据"))
    # a review still gets a reply when the drafting rule still asks for one (a low or mid rating),
    # else its apology for a complaint that is not there goes
    review_ids = session.execute(
        select(LedgerEntry.review_id).where(LedgerEntry.id.in_(entry_ids), LedgerEntry.review_id.is_not(None))
    ).scalars().all()
    drafts = 0
    if review_ids:
        keep = set(session.execute(select(Review.id).where(Review.id.in_(review_ids), needs_reply())).scalars())
        gone = [i for i in review_ids if i not in keep]
        if gone:
            drafts = session.execute(delete(ReplyDraft).where(ReplyDraft.review_id.in_(gone),
                                                              ReplyDraft.status.in_(UNPUBLISHED))
                                     .execution_options(synchronize_session=False)).rowcount or 0
    session.flush()
    return len(evidence), drafts
