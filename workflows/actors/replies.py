"""Replies (queue default): draft a 评价解释 for every new complaint, on a schedule.

Drafting is idempotent (one draft per review, a unique column), so a redelivered message or two
overlapping runs add nothing twice; a conflicting insert just makes dramatiq retry the message.
"""
from __future__ import annotations

import dramatiq

from feedback.services.replies import ReplyService

from .. import runtime
from ..queues import DEFAULT, PRIORITY
from ..schedule import JOBS, ScheduledJob, send_actor
from ._common import RETRY_OPTIONS, log

BATCH = 200  # drafts per message: short actors, the next tick takes the rest


@dramatiq.actor(queue_name=DEFAULT, priority=PRIORITY["replies"], **RETRY_OPTIONS)
def draft_replies(limit=BATCH):
    """Draft replies for complaints (and mid/low ratings) that have none and are still answerable."""
    with runtime.session_factory()() as session, session.begin():
        drafts = ReplyService(session).generate(include_expired=False, limit=int(limit), actor="system")
        held = sum(1 for d in drafts if d.status == "held")
    if drafts:
        log.info("drafted %d replies (%d held for senior approval)", len(drafts), held)


JOBS.append(ScheduledJob("reply_drafts", send_actor("draft_replies"), "interval", {"seconds": 60}))
