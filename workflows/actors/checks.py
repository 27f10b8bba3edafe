"""Periodic checks sent by the scheduler (queue default): pending work, SLA, verification."""
from __future__ import annotations

import dramatiq

from feedback.services.tasks import escalate_overdue, verify_resolved

from .. import runtime
from ..outbox import sweep_pending_work as _sweep_pending
from ..queues import DEFAULT, PRIORITY
from ._common import dispatch_notifications, log

CHECK_OPTIONS = {"max_retries": 0, "time_limit": 300_000}


@dramatiq.actor(queue_name=DEFAULT, priority=PRIORITY["checks"], **CHECK_OPTIONS)
def sweep_pending_work():
    """Queue classification for reviews/tickets that have none (or an outdated one) and no job."""
    with runtime.session_factory()() as session, session.begin():
        added = _sweep_pending(session, runtime.workflow_config())
    if added:
        log.info("pending-work sweep queued %d jobs", added)


@dramatiq.actor(queue_name=DEFAULT, priority=PRIORITY["checks"], **CHECK_OPTIONS)
def check_sla():
    """Escalate overdue tasks (once each) to the department head and the admins."""
    with runtime.session_factory()() as session, session.begin():
        ids = escalate_overdue(session, runtime.workflow_config())
    dispatch_notifications(ids)


@dramatiq.actor(queue_name=DEFAULT, priority=PRIORITY["checks"], **CHECK_OPTIONS)
def verify_tasks():
    """Verify (or reopen) resolved tasks whose verification window has passed."""
    with runtime.session_factory()() as session, session.begin():
        result = verify_resolved(session, runtime.workflow_config())
    if result.verified or result.reopened:
        log.info("verification: verified %s, reopened %s", result.verified, result.reopened)
    dispatch_notifications(result.notification_ids)
