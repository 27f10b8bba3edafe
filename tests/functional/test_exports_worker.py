"""The worker path: the scheduled-exports actor makes the jobs, the outbox sweeper sends them, a
dramatiq worker (stub broker, real database) runs run_export; the scheduler lists the jobs."""
from __future__ import annotations

import os

# Importing workflows sets the global broker from the environment first: never a real queue file.
os.environ.setdefault("FEEDBACK_BROKER", "stub")

import dramatiq  # noqa: E402
import pytest  # noqa: E402
from openpyxl import load_workbook  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from feedback.models import ExportJob, OutboxJob, get_engine  # noqa: E402

from .exports_scenario import seed  # noqa: E402


@pytest.fixture
def worker_env(fresh_db_url, tmp_path):
    import workflows.actors  # noqa: F401
    from workflows import runtime
    from workflows.broker import make_broker, use_broker

    old = dramatiq.get_broker()
    broker = use_broker(make_broker("stub"))
    runtime.configure({"sqlalchemy.url": fresh_db_url, "feedback.exports_dir": str(tmp_path / "exports")})
    engine = get_engine({"sqlalchemy.url": fresh_db_url})
    with Session(engine) as s, s.begin():
        seed(s)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    yield broker, engine, tmp_path / "exports"
    worker.stop()
    runtime.reset()
    engine.dispose()
    use_broker(old)


def test_monthly_schedule_runs_through_outbox_and_worker(worker_env):
    from workflows import runtime
    from workflows.actors.exports import schedule_export
    from workflows.outbox import sweep_outbox

    broker, engine, exports = worker_env
    schedule_export.send("monthly", "2026-12-01")
    schedule_export.send("monthly", "2026-12-02")  # same period: nothing new
    broker.join("exports", fail_fast=True)
    assert sweep_outbox(runtime.session_factory(), broker=broker).enqueued == 2
    broker.join("exports", fail_fast=True)

    with Session(engine) as s:
        jobs = s.execute(select(ExportJob).order_by(ExportJob.id)).scalars().all()
        assert [(j.kind, j.period_label, j.status, j.progress, j.trigger) for j in jobs] == [
            ("summary", "2026-11", "done", 100, "schedule"), ("ledger", "2026-11", "done", 100, "schedule")]
        assert all(o.status == "done" for o in s.execute(select(OutboxJob)).scalars())
    summary = load_workbook(exports / jobs[0].file_path)
    overview = {row[0]: row[1] for row in summary["概览"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert overview["投诉总数"] == 8
    assert (exports / jobs[1].file_path).read_bytes().startswith(b"\xef\xbb\xbf")


def test_scheduler_lists_the_weekly_and_monthly_export_jobs():
    from workflows.schedule import JOBS, build_scheduler, load_extra_jobs

    load_extra_jobs()
    ids = {j.id: j for j in JOBS}
    assert ids["export_weekly"].trigger_args == {"day_of_week": "mon", "hour": 1, "minute": 0}
    assert ids["export_monthly"].trigger_args == {"day": 1, "hour": 1, "minute": 0}
    assert "export_catch_up" in ids
    scheduler = build_scheduler()
    assert {"export_weekly", "export_monthly", "export_catch_up"} <= {j.id for j in scheduler.get_jobs()}
