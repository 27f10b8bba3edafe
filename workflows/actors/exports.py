"""Exports (queue exports): run an export job; queue the weekly/monthly scheduled ones.

The work is in feedback/services/exports/jobs.py; these actors only bind it to the runtime. Also
adds the scheduled jobs to workflows.schedule.JOBS (the scheduler imports this module):
  weekly   Mondays 01:00 UTC (09:00 Beijing): the previous ISO week's summary
  monthly  the 1st 01:00 UTC: the previous month's summary and ledger CSV
  catch-up every day 01:30 UTC: both again; idempotent (one job per period, by schedule_key), so
           a scheduler that was down on the Monday or the 1st still produces them.
"""
from __future__ import annotations

import datetime as dt

import dramatiq

from feedback.services.exports.jobs import SETTING_NOTIFY, exports_dir, run_job, schedule_exports

from .. import runtime
from ..queues import EXPORTS, PRIORITY
from ..schedule import JOBS, ScheduledJob
from ._common import log, outbox_aware

MAX_ATTEMPTS = 4  # the first run and three retries (dramatiq backoff 10 s .. 10 min)


@dramatiq.actor(queue_name=EXPORTS, priority=PRIORITY["exports"], max_retries=MAX_ATTEMPTS - 1,
                min_backoff=10_000, max_backoff=600_000, time_limit=30 * 60_000)
@outbox_aware
def run_export(job_id, outbox_id=None):
    """Make the file of one ExportJob (status and progress are committed as it goes)."""
    settings = runtime.settings()
    status = run_job(runtime.engine(), int(job_id), exports_dir(settings), settings, outbox_id=outbox_id,
                     max_attempts=MAX_ATTEMPTS)
    log.info("export job %s: %s", job_id, status)


@dramatiq.actor(queue_name=EXPORTS, priority=PRIORITY["exports"], max_retries=3)
def schedule_export(which, today=None):
    """Create the scheduled ExportJobs of `which` (weekly|monthly) for the period before `today`;
    their outbox rows make the sweeper send run_export after the commit."""
    day = dt.date.fromisoformat(today) if today else dt.datetime.now(dt.UTC).date()
    settings = runtime.settings()
    with runtime.session_factory()() as session, session.begin():
        jobs = schedule_exports(session, which, day, notify=settings.get(SETTING_NOTIFY) or None)
        made = [(j.id, j.kind, j.period_label) for j in jobs]
    if made:
        log.info("scheduled exports (%s): %s", which, made)


def _fire(*which: str):
    def job():
        today = dt.datetime.now(dt.UTC).date().isoformat()
        for w in which:
            schedule_export.send(w, today)
    job.__name__ = "schedule_" + "_".join(which)
    return job


EXPORT_JOBS = [
    ScheduledJob("export_weekly", _fire("weekly"), "cron", {"day_of_week": "mon", "hour": 1, "minute": 0}),
    ScheduledJob("export_monthly", _fire("monthly"), "cron", {"day": 1, "hour": 1, "minute": 0}),
    ScheduledJob("export_catch_up", _fire("weekly", "monthly"), "cron", {"hour": 1, "minute": 30}),
]
if not any(j.id == "export_weekly" for j in JOBS):
    JOBS.extend(EXPORT_JOBS)
