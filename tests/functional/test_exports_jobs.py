"""Export jobs with real commits: request -> run (what the worker does) -> file, status, progress;
failures recorded and retried, then given up visibly; scheduling is idempotent; the CLI in a
subprocess against a fresh database."""
from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedback.models import ExportJob, Notification, OutboxJob, get_engine
from feedback.services.exports.jobs import (
    ACTOR_NAME,
    ExportError,
    request_export,
    resolve_file,
    run_job,
    schedule_exports,
    snapshot_path,
)
from feedback.services.exports.period import PeriodError

from .exports_scenario import seed

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def engine(fresh_db_url):
    eng = get_engine({"sqlalchemy.url": fresh_db_url})
    with Session(eng) as s, s.begin():
        seed(s)
    yield eng
    eng.dispose()


def _job(engine, job_id) -> ExportJob:
    with Session(engine) as s:
        return s.get(ExportJob, job_id)


def test_requested_summary_is_run_stored_and_its_outbox_job_closed(engine, tmp_path):
    with Session(engine) as s, s.begin():
        job = request_export(s, "summary", "2026-11-01", "2026-11-30", notify="https://robot.example/hook")
        job_id = job.id
        outbox = s.execute(select(OutboxJob).where(OutboxJob.actor_name == ACTOR_NAME)).scalar_one()
        assert outbox.payload == {"job_id": job_id} and outbox.status == "pending"
        outbox_id = outbox.id
    assert _job(engine, job_id).status == "pending"

    assert run_job(engine, job_id, tmp_path, {}, outbox_id=outbox_id) == "done"
    job = _job(engine, job_id)
    assert (job.status, job.progress, job.attempts, job.error) == ("done", 100, 1, None)
    assert job.period_type == "month" and job.period_label == "2026-11" and job.format == "xlsx"
    assert job.file_path == f"2026/summary_2026-11_{job_id}.xlsx"
    path = resolve_file(tmp_path, job)
    assert path is not None and path.stat().st_size == job.file_size
    assert snapshot_path(path).is_file()
    assert "根因帕累托" in load_workbook(path).sheetnames
    assert job.row_count == 8 and job.started_at <= job.finished_at
    with Session(engine) as s:
        assert s.get(OutboxJob, outbox_id).status == "done"
        n = s.execute(select(Notification)).scalar_one()
        assert n.channel == "webhook" and n.target == "https://robot.example/hook"
        assert f"/exports/{job_id}/download" in str(n.payload)

    # A redelivered message changes nothing.
    mtime = path.stat().st_mtime_ns
    assert run_job(engine, job_id, tmp_path, {}) == "done"
    assert path.stat().st_mtime_ns == mtime and _job(engine, job_id).attempts == 1


def test_ledger_job_writes_csv_with_bom(engine, tmp_path):
    with Session(engine) as s, s.begin():
        job_id = request_export(s, "ledger", "2026-11-01", "2026-11-30").id
    run_job(engine, job_id, tmp_path)
    job = _job(engine, job_id)
    assert job.format == "csv" and job.row_count == 8
    assert resolve_file(tmp_path, job).read_bytes().startswith(b"\xef\xbb\xbf")


def test_failure_is_recorded_retried_then_given_up_visibly(engine, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the exports directory should be")
    with Session(engine) as s, s.begin():
        job_id = request_export(s, "summary", "2026-11-01", "2026-11-30").id
        outbox_id = s.execute(select(OutboxJob.id)).scalar_one()

    for attempt in (1, 2):  # raised: dramatiq retries it with backoff
        with pytest.raises(OSError):
            run_job(engine, job_id, blocker, outbox_id=outbox_id, max_attempts=3)
        job = _job(engine, job_id)
        assert job.status == "failed" and job.attempts == attempt and job.finished_at is not None
        assert "Error" in job.error
    # The last attempt fails quietly: the job stays failed, the outbox row is closed.
    assert run_job(engine, job_id, blocker, outbox_id=outbox_id, max_attempts=3) == "failed"
    with Session(engine) as s:
        assert s.get(OutboxJob, outbox_id).status == "failed"
    assert run_job(engine, job_id, blocker, outbox_id=outbox_id, max_attempts=3) == "failed"
    assert _job(engine, job_id).attempts == 3

    # A retry that succeeds clears the error.
    with Session(engine) as s, s.begin():
        s.get(ExportJob, job_id).attempts = 0
    assert run_job(engine, job_id, tmp_path, max_attempts=3) == "done"
    job = _job(engine, job_id)
    assert job.status == "done" and job.error is None


def test_bad_requests_are_refused_with_a_message(engine):
    with Session(engine) as s:
        with pytest.raises(PeriodError, match="格式错误"):
            request_export(s, "summary", "2026-11-01", "2026-11-31")
        with pytest.raises(ExportError, match="未知的导出类型"):
            request_export(s, "everything", "2026-11-01", "2026-11-30")
        with pytest.raises(ExportError, match="只能导出为 XLSX"):
            request_export(s, "summary", "2026-11-01", "2026-11-30", fmt="csv")
        with pytest.raises(ExportError, match="通知地址"):
            request_export(s, "summary", "2026-11-01", "2026-11-30", notify="javascript:alert(1)")


def test_scheduled_exports_are_for_the_previous_period_and_made_once(engine):
    with Session(engine) as s, s.begin():
        weekly = schedule_exports(s, "weekly", dt.date(2026, 11, 23))
        assert [(j.kind, j.period_label, j.date_from, j.date_to) for j in weekly] == [
            ("summary", "2026-W47", dt.date(2026, 11, 16), dt.date(2026, 11, 22))]
        monthly = schedule_exports(s, "monthly", dt.date(2026, 12, 1))
        assert [(j.kind, j.format, j.period_label) for j in monthly] == [
            ("summary", "xlsx", "2026-11"), ("ledger", "csv", "2026-11")]
    with Session(engine) as s, s.begin():
        assert schedule_exports(s, "weekly", dt.date(2026, 11, 25)) == []  # same week again
        assert schedule_exports(s, "monthly", dt.date(2026, 12, 2)) == []
        assert len(s.execute(select(OutboxJob).where(OutboxJob.actor_name == ACTOR_NAME)).all()) == 3
        assert all(j.trigger == "schedule" for j in s.execute(select(ExportJob)).scalars())


def _cli(args, db_url, cwd):
    env = dict(os.environ, FEEDBACK_DB_URL=db_url, FEEDBACK_CONFIG=str(REPO / "development.ini"))
    return subprocess.run([sys.executable, "-m", "feedback.cli", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def test_cli_writes_summary_and_ledger_and_fails_clearly(engine, fresh_db_url, tmp_path):
    out = tmp_path / "summary.xlsx"
    res = _cli(["export", "summary", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)],
               fresh_db_url, tmp_path)
    assert res.returncode == 0, res.stderr
    assert "8 条投诉" in res.stdout
    wb = load_workbook(out)
    overview = {row[0]: row[1] for row in wb["概览"].iter_rows(min_row=4, values_only=True) if row[0]}
    assert overview["投诉总数"] == 8
    assert not list(tmp_path.glob("*.json")) and not list(tmp_path.glob("*.part"))

    csv_out = tmp_path / "ledger.csv"
    res = _cli(["export", "ledger", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(csv_out)],
               fresh_db_url, tmp_path)
    assert res.returncode == 0, res.stderr
    assert csv_out.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(csv_out, encoding="utf-8-sig", newline="") as fh:
        assert len(list(csv.reader(fh))) == 9  # header + 8 complaints

    res = _cli(["export", "summary", "--from", "2026-11-01", "--to", "2026-11-31", "--out", str(out)],
               fresh_db_url, tmp_path)
    assert res.returncode != 0 and "格式错误" in res.stderr


@pytest.mark.parametrize("args, message", [
    (["summary", "--from", "2026-11-30", "--to", "2026-11-01", "--out", "{tmp}/s.xlsx"], "早于"),
    (["summary", "--from", "11/01/2026", "--to", "2026-11-30", "--out", "{tmp}/s.xlsx"], "开始日期格式错误"),
    (["summary", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "{tmp}/x.csv"], ".xlsx"),
    (["summary", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "{tmp}"], ".xlsx"),
    (["ledger", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "{tmp}/no/x.csv"], "输出目录不存在"),
    (["ledger", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "{tmp}/x.txt"], ".csv"),
    (["ledger", "--from", "2026-11-01", "--out", "{tmp}/x.csv"], "--to"),
])
def test_cli_refuses_bad_dates_and_paths(args, message, tmp_path):
    from click.testing import CliRunner

    from feedback.cli import _register, cli

    _register()
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    res = CliRunner().invoke(cli, ["--config", str(REPO / "development.ini"), "export", *args])
    assert res.exit_code != 0 and message in res.output, res.output
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("notify", [
    "http://127.0.0.1:6543/logout", "http://localhost/x", "http://10.0.0.5/hook", "http://[::1]/x",
    "http://169.254.169.254/latest/meta-data/", "http://192.168.1.20:8080/robot",
])
def test_a_webhook_typed_into_the_form_may_not_reach_this_machine_or_the_lan(dbsession, notify):
    with pytest.raises(ExportError, match="内网"):
        request_export(dbsession, "summary", "2026-11-01", "2026-11-30", notify=notify)
    # where the shop's robot really lives on the LAN, the ini allows it
    job = request_export(dbsession, "summary", "2026-11-01", "2026-11-30", notify=notify, allow_private_hosts=True)
    assert job.notify == notify


def test_an_email_or_a_public_webhook_is_accepted(dbsession):
    for notify in ("ops@example.com", "https://8.8.8.8/hook"):
        assert request_export(dbsession, "summary", "2026-11-01", "2026-11-30", notify=notify).notify == notify
