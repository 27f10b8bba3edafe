"""Helpers shared by the actors."""
from __future__ import annotations

import contextlib
import functools
import logging

from feedback.models import OutboxJob

from .. import runtime

log = logging.getLogger("workflows")
RETRY_OPTIONS = {"max_retries": 3, "min_backoff": 1000, "max_backoff": 60_000}


def record_outbox_error(outbox_id: int | None, exc: BaseException) -> None:
    """Keep the last error on the outbox row (its own small transaction) so it is visible."""
    if outbox_id is None:
        return
    with contextlib.suppress(Exception):
        with runtime.session_factory()() as session, session.begin():
            job = session.get(OutboxJob, outbox_id)
            if job is not None and job.status != "done":
                job.last_error = f"{type(exc).__name__}: {exc}"[:2000]


def outbox_aware(fn):
    @functools.wraps(fn)
    def wrapper(*args, outbox_id=None, **kwargs):
        try:
            return fn(*args, outbox_id=outbox_id, **kwargs)
        except Exception as exc:
            record_outbox_error(outbox_id, exc)
            raise
    return wrapper


def dispatch_notifications(ids) -> None:
    """After commit: deliver new notifications now. If the broker is down they stay pending and
    the scheduler's notification sweep sends them."""
    if not ids:
        return
    from .notify import send_notification

    for i in ids:
        try:
            send_notification.send(i)
        except Exception:  # noqa: BLE001
            log.warning("could not enqueue notification %s; the retry sweep will send it", i, exc_info=True)
            return
