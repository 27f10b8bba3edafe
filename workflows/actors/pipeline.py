"""classify_reviews / classify_tickets (queue nlp) and update_ledger (queue default)."""
from __future__ import annotations

import dramatiq

from feedback.services.pipeline import classify_and_ledger, resync_ledger

from .. import runtime
from ..queues import DEFAULT, NLP, PRIORITY
from ._common import RETRY_OPTIONS, dispatch_notifications, log, outbox_aware


def _classify(kind: str, ids, outbox_id=None, force=False):
    result = classify_and_ledger(runtime.session_factory(), runtime.classifier(), kind, list(ids),
                                 runtime.workflow_config(), outbox_id=outbox_id, force=force,
                                 read_session_factory=runtime.read_session_factory())
    log.info("classify %ss: %d classified, %d unchanged, %d in ledger, tasks opened %s",
             kind, result.classified, result.skipped, result.ledger_entries, result.opened)
    dispatch_notifications(result.notification_ids)
    return None


@dramatiq.actor(queue_name=NLP, priority=PRIORITY["classify"], **RETRY_OPTIONS)
@outbox_aware
def classify_reviews(ids, outbox_id=None, force=False):
    """Classify reviews, store the result, update their ledger entries and root-cause tasks."""
    _classify("review", ids, outbox_id, force)


@dramatiq.actor(queue_name=NLP, priority=PRIORITY["classify"], **RETRY_OPTIONS)
@outbox_aware
def classify_tickets(ids, outbox_id=None, force=False):
    """Same for after-sales tickets."""
    _classify("ticket", ids, outbox_id, force)


@dramatiq.actor(queue_name=DEFAULT, priority=PRIORITY["ledger"], **RETRY_OPTIONS)
@outbox_aware
def update_ledger(review_ids=(), ticket_ids=(), outbox_id=None):
    """Re-sync ledger entries and grouping without re-classifying (after a label correction)."""
    with runtime.session_factory()() as session, session.begin():
        result = resync_ledger(session, runtime.workflow_config(), review_ids=list(review_ids),
                               ticket_ids=list(ticket_ids), outbox_id=outbox_id)
    dispatch_notifications(result.notification_ids)
