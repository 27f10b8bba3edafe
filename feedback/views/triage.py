"""Triage for review managers: the queue, one complaint, corrections, bulk actions, export."""
from __future__ import annotations

import datetime as dt

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from ..models import CATEGORIES, PLATFORMS, Department, LedgerEntry, RootCauseTask
from ..models.tasks import ACTIVE_TASK_STATUSES
from ..params import int_param, matched_id
from ..services.outbox import add_job
from ..services.tasks import STATUS_NAMES as TASK_STATUS_NAMES
from ..services.triage import (
    BULK_ACTIONS,
    CATEGORY_LABELS,
    FILTER_STATUSES,
    PLATFORM_LABELS,
    STATUS_LABELS,
    TIER_LABELS,
    Cursor,
    Filters,
    TriageError,
    TriageService,
)
from ..services import triage as triage_service

PAGE_SIZE = 50


def _common(request) -> dict:
    return {
        "categories": CATEGORIES, "category_labels": CATEGORY_LABELS, "platforms": PLATFORMS,
        "platform_labels": PLATFORM_LABELS, "statuses": FILTER_STATUSES, "status_labels": STATUS_LABELS,
        "tier_labels": TIER_LABELS, "bulk_actions": BULK_ACTIONS, "task_status_names": TASK_STATUS_NAMES,
    }


def _filters(request, params) -> Filters:
    f, errors = Filters.from_params(params)
    for e in errors:
        request.session.flash(e, "error", allow_duplicate=False)
    return f


def _active_tasks(request, limit=200):
    return list(request.dbsession.execute(
        select(RootCauseTask.id, RootCauseTask.title, RootCauseTask.status)
        .where(RootCauseTask.status.in_(ACTIVE_TASK_STATUSES))
        .order_by(RootCauseTask.id.desc()).limit(limit)).all())


def _departments(request):
    return list(request.dbsession.execute(select(Department).order_by(Department.id)).scalars())


@view_config(route_name="triage.list", renderer="triage/list.html", permission="triage")
def triage_list(request):
    service = TriageService(request.dbsession)
    f = _filters(request, request.GET)
    try:
        cursor = Cursor.decode(request.GET.get("after"))
        before = None if cursor else Cursor.decode(request.GET.get("before"))
    except TriageError as exc:
        request.session.flash(str(exc), "error")
        cursor = before = None
    # Counting every match costs a pass over the filter's rows; the queue itself reads one page
    # along an index. Count on request (and always on the bulk confirmation page).
    page = service.page(f, cursor, limit=PAGE_SIZE, with_count=request.GET.get("count") == "1", before=before)
    return {**_common(request), "filters": f, "params": f.to_params(), "page": page,
            "first_page": page.prev_cursor is None, "tasks": _active_tasks(request),
            "departments": _departments(request)}


@view_config(route_name="entries.detail", renderer="triage/detail.html", permission="tasks.view")
def entry_detail(request):
    service = TriageService(request.dbsession)
    entry = service.get_entry(matched_id(request))
    can_triage = request.has_permission("triage")
    if entry is None or not service.visible_to(request.user, entry, bool(can_triage)):
        raise HTTPNotFound("没有这条中差评，或不在您的部门范围内")
    data = service.detail(entry, department_id=None if can_triage else request.user.department_id)
    f, _ = Filters.from_params(request.GET)
    nav = {}
    if can_triage:
        nav = {"next": service.neighbour(f, entry, +1), "prev": service.neighbour(f, entry, -1)}
    # a department head sees only the entries of their tasks: not the rest of the order
    same_order = service.same_order(data["subject"]) if can_triage and data["subject"] else []
    return {**_common(request), **data, "can_triage": bool(can_triage), "nav": nav, "same_order": same_order,
            "params": f.to_params(), "departments": _departments(request) if can_triage else []}


def _enqueue_ledger_rebuild(request, review_ids, ticket_ids):
    """Ask workflows to rebuild these ledger entries (they honour the latest LabelCorrection)."""
    actor = triage_service.LEDGER_REBUILD_ACTOR
    review_ids, ticket_ids = sorted(review_ids), sorted(ticket_ids)
    step = 500  # short jobs: a redelivery after a crash redoes little
    for lo in range(0, max(len(review_ids), len(ticket_ids)), step) if actor else ():
        add_job(request.dbsession, actor, {"review_ids": review_ids[lo:lo + step],
                                           "ticket_ids": ticket_ids[lo:lo + step]})


@view_config(route_name="entries.correct", request_method="POST", permission="triage")
def entry_correct(request):
    service = TriageService(request.dbsession)
    entry = service.get_entry(matched_id(request))
    if entry is None:
        raise HTTPNotFound("没有这条中差评")
    action = request.POST.get("action", "save")
    try:
        if action == "confirm":
            service.confirm(entry, request.user)
            msg = f"#{entry.id} 已确认分类。"
        elif action == "not_complaint":
            service.correct(entry, request.user, complaint=False, categories=[], food_safety=False)
            msg = f"#{entry.id} 已标记为非投诉。"
        elif action == "save":
            raw = request.POST.get("complaint", "1")
            if raw not in ("0", "1"):
                raise TriageError(f"complaint 应为 0 或 1 (complaint must be 0 or 1): {raw[:20]!r}")
            complaint = raw == "1"
            service.correct(entry, request.user, complaint=complaint,
                            categories=request.POST.getall("categories"),
                            food_safety=request.POST.get("food_safety") in ("1", "on"))
            msg = f"#{entry.id} 的更正已保存，将用于模型再训练。"
        elif action == "assign":
            if entry.status == "unsure":
                raise TriageError("疑似投诉请先确认为投诉，再分派 (confirm it as a complaint first)")
            dept = request.POST.get("department_id", "")
            n = service.bulk("assign", request.user, [entry.id], department_id=int_param(dept))
            msg = f"#{entry.id} 已分派给部门。" if n else f"#{entry.id} 已在该部门的任务中。"
        else:
            raise TriageError(f"未知操作 (unknown action): {action}")
    except TriageError as exc:
        request.session.flash(str(exc), "error")
        return HTTPSeeOther(request.route_url("entries.detail", id=entry.id, _query=_keep(request)))
    _enqueue_ledger_rebuild(request, [entry.review_id] if entry.review_id else [],
                            [entry.ticket_id] if entry.ticket_id else [])
    request.session.flash(msg, "success")
    go_next = request.POST.get("go") == "next"
    if go_next:
        f, _ = Filters.from_params(_keep(request))
        nxt = service.neighbour(f, entry, +1)
        if nxt:
            return HTTPSeeOther(request.route_url("entries.detail", id=nxt, _query=_keep(request)))
        return HTTPSeeOther(request.route_url("triage.list", _query=_keep(request)))
    if request.POST.get("back") == "list":
        return HTTPSeeOther(request.route_url("triage.list", _query=_keep(request)))
    return HTTPSeeOther(request.route_url("entries.detail", id=entry.id, _query=_keep(request)))


def _keep(request) -> dict:
    """The filter parameters carried by a form (hidden inputs named f_<name>)."""
    return {k[2:]: v for k, v in request.POST.items() if k.startswith("f_") and v}


@view_config(route_name="triage.bulk", request_method="POST", renderer="triage/bulk_confirm.html",
             permission="triage")
def triage_bulk(request):
    service = TriageService(request.dbsession)
    action = request.POST.get("bulk_action", "")
    scope = request.POST.get("scope", "selection")
    params = _keep(request)
    back = request.route_url("triage.list", _query=params)
    if action not in BULK_ACTIONS:
        request.session.flash("请选择一个批量操作 (choose an action).", "error")
        return HTTPSeeOther(back)
    task_id = request.POST.get("task_id", "").strip()
    dept_id = request.POST.get("department_id", "").strip()
    kwargs = {"task_id": int_param(task_id), "department_id": int_param(dept_id)}
    if action == "attach" and kwargs["task_id"] is None:
        request.session.flash("请填写整改任务编号 (task id).", "error")
        return HTTPSeeOther(back)
    if action == "assign" and kwargs["department_id"] is None:
        request.session.flash("请选择部门 (choose a department).", "error")
        return HTTPSeeOther(back)
    try:
        if scope == "filter":
            f, errors = Filters.from_params(params)
            if errors:
                raise TriageError("；".join(errors))
            count, _ = service.count(f)
            if request.POST.get("confirmed") != "1":
                # Step 1: show how many rows the filter matches now; nothing changes yet.
                return {**_common(request), "action": action, "count": count, "filters": f,
                        "params": params, "kwargs": kwargs, "back": back,
                        "task": request.dbsession.get(RootCauseTask, kwargs["task_id"]) if kwargs["task_id"] else None,
                        "department": request.dbsession.get(Department, kwargs["department_id"])
                        if kwargs["department_id"] else None}
            done = 0
            touched_r, touched_t = set(), set()
            for chunk in service.iter_filter_ids(f):
                _collect_subjects(service, chunk, touched_r, touched_t)
                done += service.bulk(action, request.user, chunk, **kwargs)
        else:
            ids = [n for n in map(int_param, request.POST.getall("ids")) if n is not None]
            if not ids:
                raise TriageError("没有选中任何记录 (nothing selected).")
            touched_r, touched_t = set(), set()
            _collect_subjects(service, ids, touched_r, touched_t)
            done = service.bulk(action, request.user, ids, **kwargs)
    except TriageError as exc:
        request.session.flash(str(exc), "error")
        return HTTPSeeOther(back)
    if action in ("confirm", "not_complaint"):
        _enqueue_ledger_rebuild(request, touched_r, touched_t)
    msg = f"批量操作「{BULK_ACTIONS[action]}」已完成：{done} 条。"
    if service.skipped_unsure:
        msg += f"另有 {service.skipped_unsure} 条疑似投诉未关联：请先确认为投诉。"
    request.session.flash(msg, "success")
    return HTTPSeeOther(back)


def _collect_subjects(service, ids, reviews: set, tickets: set):
    for r, t in service.session.execute(
            select(LedgerEntry.review_id, LedgerEntry.ticket_id).where(LedgerEntry.id.in_(ids))):
        if r:
            reviews.add(r)
        if t:
            tickets.add(t)


@view_config(route_name="triage.corrections_export", permission="triage")
def corrections_export(request):
    service = TriageService(request.dbsession)
    body = "".join(service.iter_corrections_jsonl())
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    return Response(body=body.encode("utf-8"), content_type="application/x-ndjson", charset="utf-8",
                    content_disposition=f'attachment; filename="label-corrections-{stamp}.jsonl"')

