"""The scheduler process (`feedback scheduler`): periodic jobs, listed in ONE place (``JOBS``).

Each job is a function of no arguments run in the scheduler process. The outbox sweep runs here
directly (it is what talks to the broker); the other checks are sent to actors, so their work runs
on the workers. A job whose broker call fails just runs again at its next tick.

To add a job (e.g. weekly/monthly exports), append to ``JOBS`` from your own module, imported by
``load_extra_jobs``::

    from workflows.schedule import JOBS, ScheduledJob
    JOBS.append(ScheduledJob("weekly_export", send_actor("export_weekly"), "cron",
                             {"day_of_week": "mon", "hour": 6}))
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable

log = logging.getLogger("workflows.scheduler")

# Modules that may add jobs to JOBS when imported (missing ones are skipped).
EXTRA_JOB_MODULES = ("workflows.exports", "workflows.actors.exports", "workflows.actors.replies")


@dataclasses.dataclass
class ScheduledJob:
    id: str
    func: Callable[[], object]
    trigger: str  # APScheduler trigger: "interval" or "cron"
    trigger_args: dict


def send_actor(actor_name: str, **kwargs) -> Callable[[], None]:
    """A job that enqueues one message for an actor (by name)."""
    def job():
        import dramatiq

        dramatiq.get_broker().get_actor(actor_name).send_with_options(kwargs=kwargs)
    job.__name__ = f"send_{actor_name}"
    return job


def outbox_sweep():
    from . import runtime
    from .outbox import sweep_outbox

    result = sweep_outbox(runtime.session_factory(), config=runtime.workflow_config())
    if result.enqueued or result.reenqueued or result.failed:
        log.info("outbox: %d enqueued, %d re-enqueued, %d failed", result.enqueued, result.reenqueued, result.failed)


JOBS: list[ScheduledJob] = [
    ScheduledJob("outbox_sweep", outbox_sweep, "interval", {"seconds": 2}),
    ScheduledJob("pending_work_sweep", send_actor("sweep_pending_work"), "interval", {"seconds": 120}),
    ScheduledJob("sla_check", send_actor("check_sla"), "interval", {"seconds": 60}),
    ScheduledJob("verification_check", send_actor("verify_tasks"), "interval", {"minutes": 10}),
    ScheduledJob("notification_retries", send_actor("retry_notifications"), "interval", {"seconds": 30}),
]


def load_extra_jobs() -> None:
    for name in EXTRA_JOB_MODULES:
        with contextlib.suppress(ModuleNotFoundError):
            __import__(name)


def _safe(job: ScheduledJob) -> Callable[[], None]:
    def run():
        try:
            job.func()
        except Exception:  # noqa: BLE001 - keep the scheduler alive; next tick retries
            log.warning("scheduled job %s failed", job.id, exc_info=True)
    return run


def build_scheduler(jobs: list[ScheduledJob] | None = None):
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone="UTC")
    for job in (JOBS if jobs is None else jobs):
        scheduler.add_job(_safe(job), job.trigger, id=job.id, name=job.id, coalesce=True,
                          max_instances=1, misfire_grace_time=30, **job.trigger_args)
    return scheduler
