"""Imports in the web UI (permission "ingest"): the recent batches and the upload form, one
batch with its rejected rows, and those rows as the CSV `feedback import rejected --out` writes.
The import itself is the CLI's (feedback.services.imports wraps feedback.importing.import_file)."""
from __future__ import annotations

from urllib.parse import quote

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config

from ..importing import FIELDS
from ..models.catalog import PLATFORM_LABELS, PLATFORMS
from ..params import matched_id, page_param
from ..services.imports import (
    KIND_LABELS,
    SOURCE_LABELS,
    UploadError,
    batch_with_rejected,
    import_upload,
    max_upload_mb,
    recent_batches,
    rejected_csv,
)

PAGE_SIZE = 50
REJECTED_SHOWN = 500


def _labels() -> dict:
    return {"kind_labels": KIND_LABELS, "source_labels": SOURCE_LABELS, "platform_labels": PLATFORM_LABELS}


@view_config(route_name="imports.list", request_method="GET", renderer="imports/list.html", permission="ingest")
def import_list(request):
    page = page_param(request.GET.get("page"))
    batches, has_next = recent_batches(request.dbsession, page, PAGE_SIZE)
    form = {"kind": request.GET.get("kind", "reviews"), "platform": request.GET.get("platform", "")}
    return {"batches": batches, "page": page, "has_next": has_next, "form": form, "platforms": PLATFORMS,
            "max_mb": f"{max_upload_mb(request.registry.settings):g}", "fields": FIELDS, **_labels()}


@view_config(route_name="imports.list", request_method="POST", permission="ingest")
def import_create(request):
    p = request.POST
    kind, platform = p.get("kind", ""), p.get("platform") or None
    try:
        result = import_upload(request.dbsession, p.get("file"), kind=kind, platform=platform,
                               created_by=request.user.username, max_mb=max_upload_mb(request.registry.settings),
                               mapping=p.get("mapping"))
    except UploadError as exc:
        request.tm.doom()  # nothing of this request is stored
        request.session.flash(str(exc), "error")
        query = {"kind": kind if kind in KIND_LABELS else "reviews", "platform": platform or ""}
        return HTTPSeeOther(request.route_url("imports.list", _query=query))
    counts = (f"新增 {result.inserted}，更新 {result.updated}，重复 {result.duplicates}，拒绝 {result.rejected}"
              f"（导入批次 #{result.import_batch_id}）")
    if result.rejected and not (result.inserted or result.updated or result.duplicates):
        request.session.flash(f"没有一行可以导入：{counts}。被拒绝的行已保存，见下方原因，可下载修改后再上传", "error")
    else:
        request.session.flash(f"已导入 {result.filename}：{counts}", "success")
    return HTTPSeeOther(request.route_url("imports.detail", id=result.import_batch_id))


@view_config(route_name="imports.detail", renderer="imports/detail.html", permission="ingest")
def import_detail(request):
    found = batch_with_rejected(request.dbsession, matched_id(request), REJECTED_SHOWN)
    if found is None:
        raise HTTPNotFound("导入批次不存在 (no such import batch)")
    batch, rows = found
    return {"batch": batch, "rows": rows, **_labels()}


@view_config(route_name="imports.rejected", permission="ingest")
def import_rejected_csv(request):
    found = rejected_csv(request.dbsession, matched_id(request))
    if found is None:
        raise HTTPNotFound("导入批次不存在 (no such import batch)")
    batch, body = found
    response = Response(body=body, content_type="text/csv", charset="utf-8")
    name = f"被拒绝的行_导入批次{batch.id}.csv"
    response.content_disposition = (f"attachment; filename=\"import-{batch.id}-rejected.csv\"; "
                                    f"filename*=UTF-8''{quote(name)}")
    response.cache_control = "private, no-store"
    return response
