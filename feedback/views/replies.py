"""Reply explanations (评价解释): the draft list, one draft, approval, templates, settings, export."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select

from ..models import CATEGORIES, PLATFORM_LABELS, PLATFORMS, Classification, User
from ..models.meta import shop_now, utcnow
from ..models.replies import DRAFT_STATUSES, TEMPLATE_KINDS, TONES, ReplyDraft
from ..params import int_param, matched_id, page_param
from ..services.replies import export as reply_export
from ..services.replies.defaults import PLACEHOLDERS
from ..services.replies.rules import CATEGORY_LABELS, reply_length
from ..services.replies.workflow import STATUS_LABELS, ReplyError, ReplyService

PER_PAGE = 50
KIND_LABELS = {"opening": "开场（语气）", "ack": "承认问题", "explain": "解释（需订单事实）", "action": "默认改进措施",
               "corrective": "整改措施（来自整改任务）", "closing": "结尾"}
TONE_LABELS = {"new": "新客", "returning": "老客", "any": "通用"}
DUE_LABELS = {"": "全部", "soon": "3 天内到期", "overdue": "已过回复期限"}
MAX_BATCH = 200


def _common() -> dict:
    return {"status_labels": STATUS_LABELS, "statuses": DRAFT_STATUSES, "platforms": PLATFORMS,
            "platform_labels": PLATFORM_LABELS, "category_labels": CATEGORY_LABELS, "due_labels": DUE_LABELS,
            "now": shop_now(), "reply_length": reply_length}


def _draft_or_404(request) -> ReplyDraft:
    draft = request.dbsession.get(ReplyDraft, matched_id(request))
    if draft is None:
        raise HTTPNotFound("没有这条回复草稿 (reply draft not found)")
    return draft


def _back(request, draft: ReplyDraft | None = None):
    if draft is not None:
        return HTTPSeeOther(request.route_url("replies.detail", id=draft.id))
    return HTTPSeeOther(request.route_url("replies.list"))


@view_config(route_name="replies.list", renderer="replies/list.html", permission="reply")
def reply_list(request):
    service = ReplyService(request.dbsession)
    status = request.GET.get("status", "")
    platform = request.GET.get("platform", "")
    due = request.GET.get("due", "")
    if status and status not in DRAFT_STATUSES:
        request.session.flash(f"未知状态：{status} (unknown status)", "error")
        status = ""
    if platform and platform not in PLATFORMS:
        request.session.flash(f"未知平台：{platform} (unknown platform)", "error")
        platform = ""
    if due not in DUE_LABELS:
        due = ""
    page = page_param(request.GET.get("page"))
    rows, total = service.list(status=status or None, platform=platform or None, due=due or None,
                               page=page, per_page=PER_PAGE)
    params = {k: v for k, v in (("status", status), ("platform", platform), ("due", due)) if v}
    return {**_common(), "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // PER_PAGE)),
            "filters": {"status": status, "platform": platform, "due": due}, "params": params,
            "candidates": service.count_candidates(), "stats": service.stats(),
            "rules": {r.platform: r for r in service.all_rules()}}


@view_config(route_name="replies.generate", request_method="POST", permission="reply")
def reply_generate(request):
    service = ReplyService(request.dbsession)
    include_expired = request.POST.get("include_expired") == "1"
    drafts = service.generate(include_expired=include_expired, limit=500,
                              actor=request.user.username)
    held = sum(1 for d in drafts if d.status == "held")
    if drafts:
        msg = f"已生成 {len(drafts)} 条回复草稿"
        if held:
            msg += f"，其中 {held} 条涉及食品安全，已搁置待管理员审批"
        request.session.flash(msg + "。", "success")
    elif not include_expired and (left := service.count_candidates()):
        request.session.flash(f"待生成的 {left} 条都已过平台的回复期限；勾选「包括已过回复期限的」仍可为它们生成草稿。", "")
    else:
        request.session.flash("没有需要生成草稿的评价（都已有草稿）。", "")
    return _back(request)


@view_config(route_name="replies.detail", renderer="replies/detail.html", permission="reply")
def reply_detail(request):
    draft = _draft_or_404(request)
    service = ReplyService(request.dbsession)
    review = draft.review
    classification = request.dbsession.execute(
        select(Classification).where(Classification.review_id == review.id)).scalar_one_or_none()
    users = {u.id: u for u in request.dbsession.execute(select(User).where(User.id.in_([
        i for i in (draft.edited_by_id, draft.approved_by_id, draft.senior_approved_by_id, draft.posted_by_id) if i
    ]))).scalars()}
    return {**_common(), "draft": draft, "review": review, "classification": classification, "users": users,
            "rules": service.rules_for(draft.platform), "length": reply_length(draft.text),
            "is_senior": request.user.role == "admin",
            "issues": draft.issues or []}


@view_config(route_name="replies.edit", request_method="POST", permission="reply")
def reply_edit(request):
    draft = _draft_or_404(request)
    service = ReplyService(request.dbsession)
    text = request.POST.get("text", "")
    try:
        issues = service.edit(draft, text, request.user)
    except ReplyError as exc:
        request.session.flash(str(exc), "error")
        return _back(request, draft)
    bad = [i for i in issues if i.severity == "error"]
    if bad:
        request.session.flash("已保存，但还不能批准：" + "；".join(i.message for i in bad), "error")
    elif request.POST.get("and_approve") == "1":
        try:
            service.approve(draft, request.user)
            request.session.flash(f"回复 #{draft.id} 已保存并批准。", "success")
        except ReplyError as exc:
            request.session.flash("已保存。" + str(exc), "error")
    else:
        warnings = [i.message for i in issues if i.severity == "warning"]
        request.session.flash("已保存修改。" + ("提醒：" + "；".join(warnings) if warnings else ""), "success")
    return _back(request, draft)


def _act(request, action, success):
    """One workflow step on one draft: call the service, flash the outcome, go back."""
    draft = _draft_or_404(request)
    try:
        action(ReplyService(request.dbsession), draft, request.user)
        request.session.flash(success(draft), "success")
    except ReplyError as exc:
        request.session.flash(str(exc), "error")
    return _back(request, draft)


@view_config(route_name="replies.approve", request_method="POST", permission="reply")
def reply_approve(request):
    return _act(request, ReplyService.approve, lambda d: f"回复 #{d.id} 已批准，编辑距离 {d.edit_distance} 字。")


@view_config(route_name="replies.batch_approve", request_method="POST", permission="reply")
def reply_batch_approve(request):
    ids = {int_param(i) for i in request.POST.getall("ids")}
    if None in ids:
        raise HTTPBadRequest("ids 必须是数字 (ids must be integers)")
    ids = sorted(ids)
    if not ids:
        request.session.flash("请先勾选要批准的回复。(select replies first)", "error")
        return _back(request)
    if len(ids) > MAX_BATCH:
        request.session.flash(f"一次最多批准 {MAX_BATCH} 条。", "error")
        return _back(request)
    result = ReplyService(request.dbsession).approve_many(ids, request.user)
    if result.approved:
        request.session.flash(f"已批准 {len(result.approved)} 条回复。", "success")
    for message in result.refused.values():
        request.session.flash(message, "error")
    return _back(request)


@view_config(route_name="replies.hold", request_method="POST", permission="reply")
def reply_hold(request):
    return _act(request, ReplyService.hold, lambda d: f"回复 #{d.id} 已搁置，等待管理员审批。")


@view_config(route_name="replies.post", request_method="POST", permission="reply")
def reply_post(request):
    return _act(request, ReplyService.mark_posted, lambda d: f"回复 #{d.id} 已标记为已发布。")


@view_config(route_name="replies.regenerate", request_method="POST", permission="reply")
def reply_regenerate(request):
    return _act(request, ReplyService.regenerate, lambda d: "已按当前模板和分类重新生成草稿。")


@view_config(route_name="replies.export", permission="reply")
def reply_export_view(request):
    fmt = request.matchdict["fmt"]
    platform = request.GET.get("platform") or None
    if platform and platform not in PLATFORMS:
        raise HTTPBadRequest(f"未知平台：{platform} (unknown platform)")
    drafts = ReplyService(request.dbsession).approved_for_export(platform, request.GET.get("posted") == "1")
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        body, ctype = reply_export.to_csv(drafts), "text/csv; charset=utf-8"
    else:
        body = reply_export.to_xlsx(drafts)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body=body, content_type=ctype.split(";")[0])
    if fmt == "csv":
        response.charset = "utf-8"
    response.content_disposition = f'attachment; filename="replies-{stamp}.{fmt}"'
    return response


@view_config(route_name="replies.templates", request_method="GET", renderer="replies/templates.html",
             permission="reply.admin")
def template_list(request):
    service = ReplyService(request.dbsession)
    if not service.templates():
        service.seed_templates(request.user)
    return {**_common(), "templates": service.templates(), "kinds": TEMPLATE_KINDS, "kind_labels": KIND_LABELS,
            "tones": TONES, "tone_labels": TONE_LABELS, "categories": (*CATEGORIES, "any", "none"),
            "placeholders": PLACEHOLDERS}


def _template_fields(request) -> dict:
    post = request.POST
    return {"kind": post.get("kind", ""), "category": post.get("category", ""), "tone": post.get("tone", ""),
            "food_safety": post.get("food_safety") == "1", "text": post.get("text", ""),
            "active": post.get("active", "1") == "1"}


@view_config(route_name="replies.templates", request_method="POST", permission="reply.admin")
def template_create(request):
    try:
        row = ReplyService(request.dbsession).save_template(request.user, **_template_fields(request))
        request.session.flash(f"已新增模板 #{row.id}。", "success")
    except ReplyError as exc:
        request.session.flash(f"模板未保存：{exc}", "error")
    return HTTPSeeOther(request.route_url("replies.templates"))


@view_config(route_name="replies.template_update", request_method="POST", permission="reply.admin")
def template_update(request):
    template_id = matched_id(request)
    try:
        ReplyService(request.dbsession).save_template(request.user, template_id=template_id,
                                                      **_template_fields(request))
        request.session.flash(f"模板 #{template_id} 已保存。", "success")
    except ReplyError as exc:
        request.session.flash(f"模板 #{template_id} 未保存：{exc}", "error")
    return HTTPSeeOther(request.route_url("replies.templates", _anchor=f"t{template_id}"))


@view_config(route_name="replies.settings", request_method="GET", renderer="replies/settings.html",
             permission="reply.admin")
def settings_form(request):
    service = ReplyService(request.dbsession)
    return {**_common(), "all_rules": service.all_rules()}


@view_config(route_name="replies.settings", request_method="POST", permission="reply.admin")
def settings_save(request):
    post = request.POST
    try:
        ReplyService(request.dbsession).save_settings(
            post.get("platform", ""), request.user, max_chars=post.get("max_chars"),
            allow_links=post.get("allow_links") == "1", allow_phone=post.get("allow_phone") == "1",
            allow_compensation=post.get("allow_compensation") == "1", blocked_words=post.get("blocked_words", ""),
            reply_window_days=post.get("reply_window_days"),
            window_from_followup=post.get("window_from_followup") == "1")
        request.session.flash(f"{PLATFORM_LABELS.get(post.get('platform'), post.get('platform'))} 的回复规则已保存。",
                              "success")
    except ReplyError as exc:
        request.session.flash(f"未保存：{exc}", "error")
    return HTTPSeeOther(request.route_url("replies.settings"))
