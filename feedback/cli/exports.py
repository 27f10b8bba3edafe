"""`feedback export ...`: summaries and ledger exports from the command line.

    feedback export summary --from 2026-11-01 --to 2026-11-30 --out summary.xlsx
    feedback export ledger  --from 2026-11-01 --to 2026-11-30 --out ledger.csv   (or .xlsx)
    feedback export schedule weekly|monthly [--today D]   queue the scheduled jobs now
    feedback export run JOB_ID                            run a queued job in this process
    feedback export jobs                                  the latest export jobs

summary/ledger compute in this process, read-only, and write the file atomically.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import cli, pass_app


def _period(date_from: str, date_to: str):
    from ..services.exports.period import PeriodError, period_for

    try:
        return period_for(date_from, date_to)
    except PeriodError as exc:
        raise click.UsageError(str(exc)) from None


def _out_path(out: str, allowed: tuple[str, ...]) -> Path:
    path = Path(out).expanduser()
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in allowed:
        want = " 或 ".join("." + a for a in allowed)
        raise click.UsageError(f"输出文件扩展名应为 {want} (--out must end with {', '.join(allowed)}): {out}")
    parent = path.resolve().parent
    if not parent.is_dir():
        raise click.UsageError(f"输出目录不存在 (directory does not exist): {parent}")
    if not os.access(parent, os.W_OK):
        raise click.UsageError(f"输出目录不可写 (directory is not writable): {parent}")
    if path.is_dir():
        raise click.UsageError(f"--out 是一个目录 (--out is a directory): {out}")
    probe = path.with_name(path.name + ".part")
    try:  # root passes os.access everywhere; /proc or a read-only mount only fail on open
        probe.open("wb").close()
        probe.unlink()
    except OSError as exc:
        raise click.UsageError(f"无法写入输出文件 (cannot write --out): {out}: {exc.strerror}") from None
    return path


def _write(app, kind: str, fmt: str, period, path: Path) -> dict:
    from ..services.exports.jobs import read_engine, write_export

    started = time.monotonic()
    try:
        with Session(read_engine(app.engine)) as session, session.begin():
            result = write_export(session, kind, fmt, period, path)
    except click.ClickException:
        raise
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        raise click.ClickException(f"导出失败 (export failed): {type(exc).__name__}: {exc}") from exc
    result["seconds"] = round(time.monotonic() - started, 2)
    return result


@cli.group("export")
def export_group():
    """Root-cause summaries (XLSX) and the ledger (CSV/XLSX)."""


@export_group.command("summary")
@click.option("--from", "date_from", required=True, help="First day, YYYY-MM-DD (inclusive).")
@click.option("--to", "date_to", required=True, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--out", required=True, help="The .xlsx file to write.")
@pass_app
def summary_cmd(app, date_from, date_to, out):
    """The root-cause summary of a period as XLSX (a sheet per section, native charts)."""
    period = _period(date_from, date_to)
    path = _out_path(out, ("xlsx",))
    result = _write(app, "summary", "xlsx", period, path)
    click.echo(f"根因汇总 {period.label}: {result['rows']} 条投诉, "
               f"{result.get('food_safety_rows', 0)} 条食品安全事件 -> {path} ({result['seconds']} s)")


@export_group.command("ledger")
@click.option("--from", "date_from", required=True, help="First day, YYYY-MM-DD (inclusive).")
@click.option("--to", "date_to", required=True, help="Last day, YYYY-MM-DD (inclusive).")
@click.option("--out", required=True, help="The .csv (UTF-8 with BOM) or .xlsx file to write.")
@pass_app
def ledger_cmd(app, date_from, date_to, out):
    """The ledger (中差评明细表) of a period: one row per complaint with every field."""
    period = _period(date_from, date_to)
    path = _out_path(out, ("csv", "xlsx"))
    fmt = path.suffix.lower().lstrip(".")
    result = _write(app, "ledger", fmt, period, path)
    click.echo(f"中差评明细表 {period.label}: {result['rows']} 行 -> {path} ({result['seconds']} s)")


@export_group.command("schedule")
@click.argument("which", type=click.Choice(["weekly", "monthly"]))
@click.option("--today", default=None, help="Pretend today is this date (YYYY-MM-DD).")
@pass_app
def schedule_cmd(app, which, today):
    """Queue the scheduled exports (what the scheduler does on Mondays / the 1st)."""
    from ..services.exports.jobs import SETTING_NOTIFY, schedule_exports
    from ..models.meta import shop_today
    from ..services.exports.period import PeriodError, parse_date

    try:
        day = parse_date(today) if today else shop_today()
    except PeriodError as exc:
        raise click.UsageError(str(exc)) from None
    with app.session() as session:
        jobs = schedule_exports(session, which, day, notify=app.settings.get(SETTING_NOTIFY))
        made = [(j.id, j.kind, j.period_label) for j in jobs]
    for job_id, kind, label in made:
        click.echo(f"queued export job {job_id}: {kind} {label}")
    if not made:
        click.echo("nothing to queue (already scheduled)")


@export_group.command("run")
@click.argument("job_id", type=int)
@pass_app
def run_cmd(app, job_id):
    """Run one queued export job in this process (the worker normally does this)."""
    from ..services.exports.jobs import exports_dir, run_job

    try:
        status = run_job(app.engine, job_id, exports_dir(app.settings))
    except Exception as exc:  # noqa: BLE001
        raise click.ClickException(f"导出任务 {job_id} 失败 (failed): {type(exc).__name__}: {exc}") from exc
    if status == "missing":
        raise click.ClickException(f"导出任务不存在 (no export job {job_id})")
    click.echo(f"export job {job_id}: {status}")


@export_group.command("jobs")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@pass_app
def jobs_cmd(app, limit):
    """The latest export jobs."""
    from ..models import ExportJob

    with app.session() as session:
        rows = session.execute(select(ExportJob).order_by(ExportJob.id.desc()).limit(limit)).scalars().all()
        for j in rows:
            click.echo(f"{j.id:>5} {j.kind:<8} {j.period_label:<24} {j.format:<5} {j.status:<8} {j.progress:>3}% "
                       f"attempts={j.attempts} {j.file_path or ''} {j.error or ''}")
