"""ExportJob lifecycle: request (web, CLI, scheduler) -> run in the worker -> file under
var/exports/ -> download from the UI, optionally announced by webhook or e-mail.

The web app only writes an ExportJob row and an outbox job in the request's transaction; the
worker's `run_export` actor calls `run_job`, which commits status and progress in short write
transactions and reads the data in one read-only snapshot (deferred transaction on SQLite, so
writers are never blocked; REPEATABLE READ on PostgreSQL, so all sections agree).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from ...models import ExportJob, Notification, OutboxJob
from ...models.exports import EXPORT_FORMATS, EXPORT_KINDS
from ...models.meta import utcnow
from ..outbox import add_job
from .labels import KIND_LABELS
from .ledger import write_ledger_csv, write_ledger_xlsx
from .notify_target import notify_target_problem
from .period import Period, PeriodError, period_for, previous_month, previous_week
from .summary import build_summary, iter_food_safety
from .xlsx import write_summary_xlsx

log = logging.getLogger(__name__)

ACTOR_NAME = "run_export"
SETTING_DIR = "feedback.exports_dir"
SETTING_NOTIFY = "feedback.exports_notify"  # webhook URL or e-mail for scheduled exports
SETTING_BASE_URL = "feedback.base_url"  # for links in notifications
DEFAULT_BASE_URL = "http://127.0.0.1:6543"
MAX_ERROR = 2000
SNAPSHOT_INCIDENTS = 200  # food-safety incidents shown on the web page (the XLSX lists them all)


class ExportError(ValueError):
    """A request that cannot become an export; the message is shown to the user."""


def exports_dir(settings: dict | None) -> Path:
    """Where export files live: $FEEDBACK_EXPORTS_DIR, else the `feedback.exports_dir` setting,
    else ./var/exports."""
    configured = os.environ.get("FEEDBACK_EXPORTS_DIR") or (settings or {}).get(SETTING_DIR)
    return Path(configured) if configured else Path.cwd() / "var" / "exports"


def job_period(job: ExportJob) -> Period:
    return Period(job.period_type, job.date_from, job.date_to)


def resolve_file(base: Path, job: ExportJob) -> Path | None:
    """The job's file, if it exists and lies inside the exports directory."""
    if not job.file_path:
        return None
    base = base.resolve()
    path = (base / job.file_path).resolve()
    if base not in path.parents or not path.is_file():
        return None
    return path


def snapshot_path(path: Path) -> Path:
    """The JSON copy of a summary's numbers, beside its XLSX (the web page renders it)."""
    return path.with_suffix(".json")


def default_format(kind: str) -> str:
    return "xlsx" if kind == "summary" else "csv"


def create_job(session: Session, kind: str, period: Period, fmt: str | None = None, *, trigger: str = "ui",
               requested_by_id: int | None = None, schedule_key: str | None = None,
               notify: str | None = None, enqueue: bool = True) -> ExportJob:
    """An ExportJob row and (with enqueue) the outbox job that makes the worker run it after commit."""
    if kind not in EXPORT_KINDS:
        raise ExportError(f"未知的导出类型 (unknown export kind): {kind!r}")
    fmt = fmt or default_format(kind)
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"未知的文件格式 (unknown format): {fmt!r}")
    if kind == "summary" and fmt != "xlsx":
        raise ExportError("根因汇总只能导出为 XLSX (the summary is XLSX only)")
    job = ExportJob(kind=kind, period_type=period.kind, period_label=period.label, date_from=period.start,
                    date_to=period.end, format=fmt, status="pending", progress=0, attempts=0, trigger=trigger,
                    requested_by_id=requested_by_id, schedule_key=schedule_key, notify=notify or None)
    session.add(job)
    session.flush()
    if enqueue:
        add_job(session, ACTOR_NAME, {"job_id": job.id}, dedupe_key=f"export:{job.id}")
    return job


def request_export(session: Session, kind: str, date_from: str, date_to: str, fmt: str | None = None,
                   period_type: str | None = None, requested_by_id: int | None = None,
                   notify: str | None = None, allow_private_hosts: bool = False) -> ExportJob:
    """Validate a request from the UI and queue it. Raises ExportError/PeriodError with a message."""
    period = period_for(date_from, date_to, period_type)
    if notify and len(notify) > 500:
        raise ExportError("通知地址最多 500 个字符 (notify is longer than 500 characters)")
    problem = notify_target_problem(notify, allow_private_hosts) if notify else None
    if problem:
        raise ExportError(problem)
    return create_job(session, kind, period, fmt, trigger="ui", requested_by_id=requested_by_id, notify=notify)


def schedule_exports(session: Session, which: str, today: dt.date, notify: str | None = None) -> list[ExportJob]:
    """The scheduled jobs for `which` ("weekly": the previous ISO week's summary; "monthly": the
    previous month's summary and ledger). Idempotent: a second call for the same period adds nothing."""
    if which == "weekly":
        period, kinds = previous_week(today), [("summary", "xlsx")]
    elif which == "monthly":
        period, kinds = previous_month(today), [("summary", "xlsx"), ("ledger", "csv")]
    else:
        raise ExportError(f"unknown schedule {which!r}")
    made = []
    for kind, fmt in kinds:
        key = f"{kind}:{period.kind}:{period.label}"
        if session.execute(select(ExportJob.id).where(ExportJob.schedule_key == key)).first():
            continue
        made.append(create_job(session, kind, period, fmt, trigger="schedule", schedule_key=key, notify=notify))
    return made


# -- running (in the worker) -------------------------------------------------------------------

def read_engine(engine: Engine) -> Engine:
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_deferred=True)
    return engine.execution_options(isolation_level="REPEATABLE READ")


def tune_session(session: Session) -> None:
    """PostgreSQL: one export is a few big queries run once; JIT compilation costs more than it
    saves (seconds), and the ledger sort fits in memory with a larger work_mem. Transaction-local."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '64MB'"))


def _file_name(job: ExportJob) -> str:
    label = re.sub(r"[^0-9A-Za-z_-]+", "_", job.period_label or job.date_from.isoformat())
    return f"{job.date_from.year}/{job.kind}_{label}_{job.id}.{job.format}"


def write_export(session: Session, kind: str, fmt: str, period: Period, path: Path, progress=None,
                 snapshot: bool = False) -> dict:
    """Compute and write one export to `path` (atomically: a temporary file is renamed). With
    `snapshot`, a summary's numbers are also kept as JSON beside it for the web page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tune_session(session)
    tmp = path.with_name(path.name + ".part")
    try:
        if kind == "summary":
            summary = build_summary(session, period, progress=(lambda p: progress(int(p * 0.8))) if progress else None)
            kept: list[dict] = []

            def incidents():
                for row in iter_food_safety(session, period):
                    if len(kept) < SNAPSHOT_INCIDENTS:
                        kept.append({k: (v.isoformat(sep=" ") if isinstance(v, dt.datetime) else
                                         v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.items()})
                    yield row

            info = write_summary_xlsx(summary, incidents(), str(tmp))
            summary["food_safety_incidents"] = kept
            rows = summary["overview"]["complaints"]
            if snapshot:
                snap = snapshot_path(path)
                snap_tmp = snap.with_name(snap.name + ".part")
                snap_tmp.write_text(json.dumps(summary, ensure_ascii=False, sort_keys=True, default=str), "utf-8")
                os.replace(snap_tmp, snap)
            result = {"rows": rows, **info}
        elif fmt == "csv":
            result = {"rows": write_ledger_csv(session, period, str(tmp), progress)}
        else:
            result = {"rows": write_ledger_xlsx(session, period, str(tmp), progress)}
        os.replace(tmp, path)
        return result
    finally:
        if tmp.exists():
            tmp.unlink()


def run_job(engine: Engine, job_id: int, base_dir: Path, settings: dict | None = None, *,
            outbox_id: int | None = None, max_attempts: int | None = None) -> str:
    """Run one export job and return its status ("done", "failed", "missing").

    A failure is recorded on the job (status failed, error) and then raised, so the dramatiq
    actor retries it with backoff; once `max_attempts` runs have failed it is not raised any more
    (the job stays failed, visible in the UI, and its outbox row is closed). A done job whose file
    exists is never redone (a redelivered message changes nothing)."""
    with Session(engine) as session, session.begin():
        job = session.get(ExportJob, job_id)
        if job is None:
            log.warning("export job %s does not exist", job_id)
            return "missing"
        if job.status == "done" and resolve_file(base_dir, job) is not None:
            _close_outbox(session, outbox_id, None)
            return "done"
        if job.status == "failed" and max_attempts is not None and job.attempts >= max_attempts:
            _close_outbox(session, outbox_id, job.error or "failed")
            return "failed"
        job.status, job.progress, job.error = "running", 0, None
        job.attempts = (job.attempts or 0) + 1
        job.started_at, job.finished_at = utcnow(), None
        kind, fmt, period = job.kind, job.format, job_period(job)
        relative = _file_name(job)

    last = {"p": 0}

    def progress(p: int):
        p = max(0, min(99, int(p)))
        if p - last["p"] < 5:
            return
        last["p"] = p
        with Session(engine) as s, s.begin():
            row = s.get(ExportJob, job_id)
            if row is not None:
                row.progress = p

    try:
        with Session(read_engine(engine)) as rs, rs.begin():
            result = write_export(rs, kind, fmt, period, base_dir / relative, progress, snapshot=True)
    except Exception as exc:
        log.warning("export job %s failed: %s", job_id, exc, exc_info=True)
        with Session(engine) as session, session.begin():
            job = session.get(ExportJob, job_id)
            job.status = "failed"
            job.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
            job.finished_at = utcnow()
            gave_up = max_attempts is not None and job.attempts >= max_attempts
            if gave_up:
                _close_outbox(session, outbox_id, job.error)
        if gave_up:
            return "failed"
        raise

    path = base_dir / relative
    with Session(engine) as session, session.begin():
        job = session.get(ExportJob, job_id)
        job.status, job.progress, job.error = "done", 100, None
        job.file_path = relative
        job.file_size = path.stat().st_size
        job.row_count = int(result.get("rows") or 0)
        job.finished_at = utcnow()
        if job.notify:
            queue_notification(session, job, settings)
        _close_outbox(session, outbox_id, None)
    return "done"


def _close_outbox(session: Session, outbox_id: int | None, error: str | None) -> None:
    """Mark the outbox row that sent this message done (or failed, when we gave up), so the
    sweeper does not send it again."""
    if outbox_id is None:
        return
    row = session.get(OutboxJob, outbox_id)
    if row is None or row.status in ("done", "failed"):
        return
    row.status = "failed" if error else "done"
    row.last_error = error[:MAX_ERROR] if error else None
    row.done_at = utcnow()


def queue_notification(session: Session, job: ExportJob, settings: dict | None) -> Notification:
    """A Notification row (webhook or e-mail) announcing a finished export with its download link;
    the workflows notifier delivers it, retrying with backoff, failures visible on the admin page."""
    from ..notifications import webhook_payload
    from ..workflow_config import WorkflowConfig

    config = WorkflowConfig.from_settings(settings)
    base = ((settings or {}).get(SETTING_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")
    title = f"【报表已生成】{KIND_LABELS.get(job.kind, job.kind)} {job.period_label}"
    text = "\n".join([
        title,
        f"统计区间: {job.date_from.isoformat()} 至 {job.date_to.isoformat()}",
        f"条目数: {job.row_count or 0}",
        f"下载: {base}/exports/{job.id}/download",
    ])
    channel = "webhook" if job.notify.startswith(("http://", "https://")) else "email"
    payload = (webhook_payload(config.webhook_format, "export", title, text, None) if channel == "webhook"
               else {"text": text, "event": "export"})
    n = Notification(task_id=None, channel=channel, target=job.notify, subject=title[:300], payload=payload,
                     status="pending")
    session.add(n)
    return n


def mark_failed(engine: Engine, job_id: int, error: str) -> None:
    """Record a final failure (e.g. the worker gave up retrying or a time limit hit)."""
    with Session(engine) as session, session.begin():
        job = session.get(ExportJob, job_id)
        if job is not None and job.status != "done":
            job.status = "failed"
            job.error = error[:MAX_ERROR]
            job.finished_at = utcnow()


__all__ = [
    "ExportError", "PeriodError", "create_job", "exports_dir", "request_export", "run_job", "schedule_exports",
    "write_export", "resolve_file", "snapshot_path",
]
