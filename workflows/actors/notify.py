"""Notification delivery (queue notify)."""
from __future__ import annotations

import dramatiq

from feedback.services.notifications import deliver, due_notification_ids

from .. import runtime
from ..queues import NOTIFY, PRIORITY

# Delivery retries are the notification row's own (backoff in the database), not dramatiq's.
@dramatiq.actor(queue_name=NOTIFY, priority=PRIORITY["notify"], max_retries=0)
def send_notification(notification_id):
    deliver(runtime.session_factory(), int(notification_id), runtime.workflow_config())


@dramatiq.actor(queue_name=NOTIFY, priority=PRIORITY["notify"], max_retries=0, time_limit=300_000)
def retry_notifications():
    """Deliver every due notification (new ones whose message was lost, failed ones past backoff)."""
    with runtime.read_session_factory()() as session:
        ids = due_notification_ids(session)
    for i in ids:
        deliver(runtime.session_factory(), i, runtime.workflow_config())
