"""Exports in the web UI: the list (status, progress), the request form, downloads, and the HTML
version of a summary with the same charts as inline SVG. Nothing here computes an export: a
request writes an ExportJob and an outbox job; the worker does the work after the commit."""
from __future__ import annotations

import json
from urllib.parse import quote

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.settings import asbool
from pyramid.response import FileResponse
from pyramid.view import view_config
from sqlalchemy import select

from ..models import ExportJob
from ..models.meta import shop_today
from ..params import matched_id, page_param
from ..services.exports.jobs import ExportError, exports_dir, request_export, resolve_file, snapshot_path
from ..services.exports.labels import (
    CATEGORY_LABELS,
    KIND_LABELS,
    PERIOD_TYPE_LABELS,
    STATUS_LABELS,
)
from ..services.exports.period import PeriodError, previous_month, previous_week
from ..services.exports.svg import summary_charts

PAGE_SIZE = 50
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _job(request) -> ExportJob:
    job = request.dbsession.get(ExportJob, matched_id(request))
    if job is None:
        raise HTTPNotFound("导出任务不存在 (no such export)")
    return job


def _labels() -> dict:
    return {"kind_labels": KIND_LABELS, "period_labels": PERIOD_TYPE_LABELS, "status_labels": STATUS_LABELS}


@view_config(route_name="exports.list", request_method="GET", renderer="exports/list.html", permission="export")
def export_list(request):
    page = page_param(request.GET.get("page"))
    jobs = request.dbsession.execute(
        select(ExportJob).order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    ).scalars().all()
    today = shop_today()
    week, month = previous_week(today), previous_month(today)
    form = {
        "kind": request.GET.get("kind", "summary"),
        "date_from": request.GET.get("date_from", week.start.isoformat()),
        "date_to": request.GET.get("date_to", week.end.isoformat()),
        "format": request.GET.get("format", ""),
        "notify": "",
    }
    busy = any(j.status in ("pending", "running") for j in jobs[:PAGE_SIZE])
    return {
        "jobs": jobs[:PAGE_SIZE], "page": page, "has_next": len(jobs) > PAGE_SIZE, "form": form,
        "presets": [("上周", week), ("上月", month)], "busy": busy, **_labels(),
    }


@view_config(route_name="exports.list", request_method="POST", permission="export")
def export_create(request):
    p = request.POST
    try:
        job = request_export(
            request.dbsession, kind=p.get("kind", ""), date_from=p.get("date_from", ""),
            date_to=p.get("date_to", ""), fmt=p.get("format") or None, period_type=p.get("period_type") or None,
            requested_by_id=request.user.id if request.user else None, notify=(p.get("notify") or "").strip() or None,
            allow_private_hosts=asbool(request.registry.settings.get("feedback.notify_allow_private_hosts", False)),
        )
    except (ExportError, PeriodError) as exc:
        request.session.flash(str(exc), "error")
        query = {k: p.get(k, "") for k in ("kind", "date_from", "date_to", "format")}
        return HTTPSeeOther(request.route_url("exports.list", _query=query))
    request.session.flash(f"已提交导出：{KIND_LABELS[job.kind]} {job.period_label}，后台生成中", "success")
    return HTTPSeeOther(request.route_url("exports.detail", id=job.id))


@view_config(route_name="exports.detail", renderer="exports/detail.html", permission="export")
def export_detail(request):
    job = _job(request)
    base = exports_dir(request.registry.settings)
    path = resolve_file(base, job)
    has_summary = path is not None and job.kind == "summary" and snapshot_path(path).is_file()
    return {"job": job, "available": path is not None, "has_summary": has_summary,
            "refresh": job.status in ("pending", "running"), **_labels()}


@view_config(route_name="exports.status", renderer="json", permission="export")
def export_status(request):
    job = _job(request)
    return {"id": job.id, "status": job.status, "progress": job.progress, "error": job.error,
            "download": request.route_url("exports.download", id=job.id) if job.status == "done" else None}


@view_config(route_name="exports.download", permission="export")
def export_download(request):
    job = _job(request)
    path = resolve_file(exports_dir(request.registry.settings), job)
    if job.status != "done" or path is None:
        raise HTTPNotFound("文件尚未生成或已被删除 (file not available)")
    response = FileResponse(str(path), request=request, content_type=CONTENT_TYPES.get(job.format))
    name = f"{'根因汇总' if job.kind == 'summary' else '中差评明细表'}_{job.period_label}.{job.format}"
    ascii_name = f"{job.kind}_{job.period_label}.{job.format}".replace("~", "_")
    response.content_disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    response.cache_control = "private, no-store"
    return response


@view_config(route_name="exports.summary", renderer="exports/summary.html", permission="export")
def export_summary(request):
    job = _job(request)
    path = resolve_file(exports_dir(request.registry.settings), job)
    snap = snapshot_path(path) if path is not None and job.kind == "summary" else None
    if snap is None or not snap.is_file():
        raise HTTPNotFound("该导出没有汇总页面 (no summary for this export)")
    summary = json.loads(snap.read_text("utf-8"))
    return {"job": job, "s": summary, "charts": summary_charts(summary), "category_labels": CATEGORY_LABELS,
            **_labels()}

