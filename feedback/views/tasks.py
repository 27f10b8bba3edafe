"""The task board: department heads see and work their department's tasks; managers and admins
see every department's. Logic and scoping live in feedback.services.tasks.TaskService."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from ..models import Review, Ticket
from ..models.meta import shop_time
from ..models.tasks import ACTIVE_TASK_STATUSES, TASK_STATUSES
from ..params import day_param, int_param, matched_id
from ..services.tasks import (
    SEVERITY_NAMES,
    STATUS_NAMES,
    TaskError,
    TaskForbidden,
    TaskNotFound,
    task_service,
)
from ..services.ledger import with_followup
from ..services.rootcause import ATTR_NAMES, is_manual
from ..services.triage import CATEGORY_LABELS, PLATFORM_LABELS
from ..charts import week_bar_chart

# What each button does: (to_status, label, needs root cause + corrective action)
ACTION_LABELS = {
    "acknowledged": "确认收到",
    "in_progress": "开始处理",
    "resolved": "填写原因并标记已整改",
    "verified": "确认整改有效",
    "reopened": "重新打开",
}
BOARD_LIMIT = 100  # per column; the oldest verified tasks drop off the board


def _get_task(request, svc):
    try:
        return svc.get(matched_id(request))
    except (TaskNotFound, TaskForbidden) as exc:
        # Another department's task is answered like a missing one: no existence leak.
        raise HTTPNotFound("没有这个任务，或不在您的部门范围内") from exc


@view_config(route_name="tasks.board", renderer="tasks/board.html", permission="tasks.view")
def board(request):
    svc = task_service(request)
    dept = request.GET.get("department", "")
    department_id = int_param(dept) if svc.scoped_department_id is None else None
    columns = []
    for status in TASK_STATUSES:
        tasks = svc.list(status=status, department_id=department_id, limit=BOARD_LIMIT)
        columns.append({"status": status, "label": STATUS_NAMES[status], "tasks": tasks})
    return {"columns": columns, "svc": svc, "departments": svc.departments(), "department_id": department_id,
            "scoped": svc.scoped_department_id is not None, "category_labels": CATEGORY_LABELS,
            "severity_names": SEVERITY_NAMES}


@view_config(route_name="tasks.detail", renderer="tasks/detail.html", permission="tasks.view")
def detail(request):
    svc = task_service(request)
    task = _get_task(request, svc)
    evidence = svc.evidence(task, limit=50)
    texts = {}
    review_ids = [e.review_id for e in evidence if e.review_id]
    ticket_ids = [e.ticket_id for e in evidence if e.ticket_id]
    if review_ids:
        texts.update({("r", i): with_followup(t, f) for i, t, f in request.dbsession.execute(
            select(Review.id, Review.text, Review.followup_text).where(Review.id.in_(review_ids)))})
    if ticket_ids:
        texts.update({("t", i): t for i, t in request.dbsession.execute(
            select(Ticket.id, Ticket.text).where(Ticket.id.in_(ticket_ids)))})
    timeline = svc.timeline(task, weeks=8)
    allowed = list(svc.allowed_transitions(task))
    if not request.has_permission("tasks.work"):
        allowed = [s for s in allowed if s in ("verified", "reopened")]  # managers check the fix
    return {
        "task": task, "evidence": evidence, "texts": texts, "events": svc.events(task),
        "chart": week_bar_chart([(p.week, p.count) for p in timeline], title="每周投诉数"),
        "timeline": timeline, "overdue": svc.is_overdue(task), "allowed": allowed,
        "outlook": svc.verification_outlook(task), "attributes": _attributes(task),
        "action_labels": ACTION_LABELS, "status_names": STATUS_NAMES, "severity_names": SEVERITY_NAMES,
        "category_labels": {**CATEGORY_LABELS, "food_safety": "食品安全"}, "platform_labels": PLATFORM_LABELS,
        "can_adjust": request.has_permission("tasks.assign") and task.status in ACTIVE_TASK_STATUSES,
        "can_move": (request.has_permission("tasks.assign") and task.status in ACTIVE_TASK_STATUSES
                     and is_manual(task) and bool(evidence)),
        "departments": svc.departments(), "due_date": shop_time(task.sla_due_at, "%Y-%m-%d") if task.sla_due_at else "",
    }


def _attributes(task) -> list[tuple[str, str]]:
    """The cause's dimensions as the page shows them: Chinese names, known values only."""
    out = []
    for name, value in (task.attributes or {}).items():
        if value in (None, "") or name not in ATTR_NAMES:
            continue
        out.append((ATTR_NAMES[name], PLATFORM_LABELS.get(value, value) if name == "platform" else str(value)))
    return out


@view_config(route_name="tasks.transition", request_method="POST", permission="tasks.view")
def transition(request):
    svc = task_service(request)
    task = _get_task(request, svc)
    to_status = request.POST.get("to", "")
    # Department heads (their department only, checked by the service) and admins work tasks;
    # managers may verify or reopen.
    if not request.has_permission("tasks.work") and to_status not in ("verified", "reopened"):
        request.session.flash("您的角色不能执行此操作 (not allowed for your role).", "error")
        return HTTPSeeOther(request.route_url("tasks.detail", id=task.id))
    try:
        svc.transition(task, to_status, request.POST.get("comment"),
                       root_cause=request.POST.get("root_cause"),
                       corrective_action=request.POST.get("corrective_action"))
    except TaskForbidden as exc:
        request.session.flash(str(exc), "error")
    except TaskError as exc:
        request.session.flash(str(exc), "error")
    else:
        request.session.flash(f"任务 #{task.id} 已变为「{STATUS_NAMES[to_status]}」。", "success")
    return HTTPSeeOther(request.route_url("tasks.detail", id=task.id))


@view_config(route_name="tasks.comment", request_method="POST", permission="tasks.view")
def comment(request):
    svc = task_service(request)
    task = _get_task(request, svc)
    try:
        svc.comment(task, request.POST.get("comment", ""))
    except TaskError as exc:
        request.session.flash(str(exc), "error")
    else:
        request.session.flash("评论已添加。", "success")
    return HTTPSeeOther(request.route_url("tasks.detail", id=task.id, _anchor="history"))


@view_config(route_name="tasks.adjust", request_method="POST", permission="tasks.assign")
def adjust(request):
    """A manager renames a task, sends it to another department or moves its SLA."""
    svc = task_service(request)
    task = _get_task(request, svc)
    post = request.POST
    due_text = post.get("due_date", "").strip()
    try:
        department_id = _department_id(post)
        try:
            due_date = day_param(due_text) if due_text else None
        except ValueError as exc:
            raise TaskError(f"处理时限应为日期 YYYY-MM-DD (bad due date {due_text[:50]!r}: {exc})") from exc
        ev = svc.adjust(task, title=post.get("title"), department_id=department_id, due_date=due_date,
                        comment=post.get("comment"))
    except TaskError as exc:
        request.session.flash(str(exc), "error")
    else:
        if ev is None:
            request.session.flash("没有改动。")
        else:
            request.session.flash(f"任务 #{task.id} 已调整。", "success")
    return HTTPSeeOther(request.route_url("tasks.detail", id=task.id))


@view_config(route_name="tasks.evidence", request_method="POST", permission="tasks.assign")
def move_evidence(request):
    """A manager takes complaints off a hand-assigned task, optionally to another department's."""
    svc = task_service(request)
    task = _get_task(request, svc)
    post = request.POST
    texts = post.getall("entry")
    ids = [n for n in map(int_param, texts) if n is not None]
    try:
        department_id = _department_id(post)
        if len(ids) != len(texts):
            raise TaskError("投诉编号无效 (bad complaint id)")
        n, target = svc.move_evidence(task, ids, department_id=department_id, comment=post.get("comment"))
    except TaskError as exc:
        request.session.flash(str(exc), "error")
    else:
        if target is None:
            request.session.flash(f"已从任务 #{task.id} 移出 {n} 条投诉。", "success")
        else:
            request.session.flash(f"已移出 {n} 条投诉到任务 #{target.id}（{target.department.name}）。", "success")
    return HTTPSeeOther(request.route_url("tasks.detail", id=task.id))


def _department_id(post) -> int | None:
    """A form's optional department: None when left blank, a TaskError when not a number."""
    text = post.get("department_id", "").strip()
    if not text:
        return None
    department_id = int_param(text)
    if department_id is None:
        raise TaskError(f"部门无效 (bad department): {text[:50]!r}")
    return department_id
