"""Admin pages: users, departments, routing rules, API tokens. Admins only (permission "admin",
which only the admin role's ALL_PERMISSIONS grants)."""
from __future__ import annotations

import re

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.view import view_config
from sqlalchemy import select

from ..models import CATEGORIES, ApiToken, Department, RoutingRule, User
from ..models.accounts import ROLES
from ..params import int_param, matched_id
from ..services.accounts import AccountError, create_api_token, create_user, revoke_api_token, set_password
from ..services.departments import ensure_departments
from ..services.triage import CATEGORY_LABELS
from .layout import ROLE_LABELS

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _get(request, model, raw: str | None):
    """The row whose id a form field names, or None (no id, not a number, no such row)."""
    n = int_param(raw)
    return request.dbsession.get(model, n) if n is not None else None


def _text(request, name, maxlen=200):
    return (request.POST.get(name) or "").strip()[:maxlen]


def _redirect(request, route: str) -> HTTPSeeOther:
    request.dbsession.flush()  # constraint errors surface here, inside the request
    return HTTPSeeOther(request.route_url(route))


def _departments(request):
    return list(request.dbsession.execute(select(Department).order_by(Department.id)).scalars())


# --- users ---------------------------------------------------------------------------------------

def _users_page(request, **extra):
    users = list(request.dbsession.execute(select(User).order_by(User.id)).scalars())
    return {"users": users, "roles": ROLES, "role_labels": ROLE_LABELS, "departments": _departments(request),
            "form": {}, **extra}


@view_config(route_name="admin.users", request_method="GET", renderer="admin/users.html", permission="admin")
def users(request):
    return _users_page(request)


@view_config(route_name="admin.users", request_method="POST", renderer="admin/users.html", permission="admin")
def user_create(request):
    form = {k: _text(request, k) for k in ("username", "display_name", "email", "role", "department")}
    dept = _get(request, Department, form["department"])
    try:
        if form["email"] and not EMAIL_RE.match(form["email"]):
            raise AccountError("邮箱格式不正确 (invalid e-mail)")
        user = create_user(request.dbsession, form["username"], request.POST.get("password", ""), form["role"],
                           display_name=form["display_name"], email=form["email"] or None,
                           department_code=dept.code if dept else None)
    except AccountError as exc:
        request.response.status = 400
        return _users_page(request, error=str(exc), form=form)
    request.session.flash(f"已创建用户 {user.username}。", "success")
    return _redirect(request, "admin.users")


@view_config(route_name="admin.user_update", request_method="POST", permission="admin")
def user_update(request):
    user = request.dbsession.get(User, matched_id(request))
    if user is None:
        raise HTTPNotFound("没有这个用户")
    action = request.POST.get("action", "save")
    if action in ("deactivate", "activate"):
        if user.id == request.user.id and action == "deactivate":
            request.session.flash("不能停用自己的账号 (you cannot deactivate yourself).", "error")
            return _redirect(request, "admin.users")
        user.active = action == "activate"
        request.session.flash(f"{user.username} 已{'启用' if user.active else '停用'}。", "success")
        return _redirect(request, "admin.users")
    if action == "password":
        try:
            set_password(user, request.POST.get("password", ""))
        except AccountError as exc:
            request.session.flash(str(exc), "error")
            return _redirect(request, "admin.users")
        request.session.flash(f"{user.username} 的密码已重置。", "success")
        return _redirect(request, "admin.users")
    role = _text(request, "role")
    dept_raw = _text(request, "department")
    dept = _get(request, Department, dept_raw)
    if role not in ROLES:
        request.session.flash(f"未知角色 (unknown role): {role}", "error")
        return _redirect(request, "admin.users")
    if role == "dept_head" and dept is None:
        request.session.flash("部门负责人必须指定部门 (a department head needs a department).", "error")
        return _redirect(request, "admin.users")
    if user.id == request.user.id and role != "admin":
        request.session.flash("不能取消自己的管理员角色 (you cannot demote yourself).", "error")
        return _redirect(request, "admin.users")
    user.role, user.department_id = role, dept.id if dept else None
    request.session.flash(f"{user.username} 已更新。", "success")
    return _redirect(request, "admin.users")


# --- departments -----------------------------------------------------------------------------------

@view_config(route_name="admin.departments", request_method="GET", renderer="admin/departments.html",
             permission="admin")
def departments(request):
    if not _departments(request):
        ensure_departments(request.dbsession)
    return {"departments": _departments(request)}


@view_config(route_name="admin.department_update", request_method="POST", permission="admin")
def department_update(request):
    dept = request.dbsession.get(Department, matched_id(request))
    if dept is None:
        raise HTTPNotFound("没有这个部门")
    name, email, webhook = _text(request, "name", 100), _text(request, "head_email"), _text(request, "webhook_url", 500)
    errors = []
    if not name:
        errors.append("部门名称不能为空 (name is required)")
    if email and not EMAIL_RE.match(email):
        errors.append(f"邮箱格式不正确 (invalid e-mail): {email}")
    if webhook and not re.match(r"^https?://[^\s]+$", webhook):
        errors.append(f"Webhook 地址必须以 http:// 或 https:// 开头 (invalid webhook URL): {webhook}")
    if errors:
        for e in errors:
            request.session.flash(e, "error")
    else:
        dept.name, dept.head_email, dept.webhook_url = name, email or None, webhook or None
        request.session.flash(f"部门「{dept.name}」已保存。", "success")
    return _redirect(request, "admin.departments")


# --- routing rules -------------------------------------------------------------------------------------

def _rule_from_form(request, rule: RoutingRule) -> list[str]:
    errors = []
    category = _text(request, "category", 16)
    if category not in CATEGORIES:
        errors.append(f"未知分类 (unknown category): {category}")
    dept_raw = _text(request, "department")
    dept = _get(request, Department, dept_raw)
    if dept is None:
        errors.append("请选择部门 (choose a department)")
    priority_raw = _text(request, "priority", 10) or "100"
    priority = int_param(priority_raw)
    if priority is None or priority > 1_000_000:
        errors.append(f"优先级必须是 0 到 1000000 的整数 (priority must be an integer 0-1000000): "
                      f"{priority_raw}")
        priority = 100
    if errors:
        return errors
    rule.category, rule.department_id, rule.priority = category, dept.id, priority
    rule.sku = _text(request, "sku", 100) or None
    rule.carrier = _text(request, "carrier", 100) or None
    rule.warehouse = _text(request, "warehouse", 100) or None
    rule.active = request.POST.get("active") in ("1", "on")
    return []


@view_config(route_name="admin.routing", request_method="GET", renderer="admin/routing.html", permission="admin")
def routing(request):
    rules = list(request.dbsession.execute(
        select(RoutingRule).order_by(RoutingRule.category, RoutingRule.priority, RoutingRule.id)).scalars())
    return {"rules": rules, "departments": _departments(request), "categories": CATEGORIES,
            "category_labels": CATEGORY_LABELS}


@view_config(route_name="admin.routing", request_method="POST", permission="admin")
def routing_create(request):
    rule = RoutingRule()
    errors = _rule_from_form(request, rule)
    if errors:
        for e in errors:
            request.session.flash(e, "error")
    else:
        request.dbsession.add(rule)
        request.session.flash("路由规则已添加。", "success")
    return _redirect(request, "admin.routing")


@view_config(route_name="admin.routing_update", request_method="POST", permission="admin")
def routing_update(request):
    rule = request.dbsession.get(RoutingRule, matched_id(request))
    if rule is None:
        raise HTTPNotFound("没有这条规则")
    errors = _rule_from_form(request, rule)
    for e in errors:
        request.session.flash(e, "error")
    if not errors:
        request.session.flash(f"规则 #{rule.id} 已保存。", "success")
    return _redirect(request, "admin.routing")


# --- API tokens -----------------------------------------------------------------------------------------

def _tokens_page(request, **extra):
    tokens = list(request.dbsession.execute(select(ApiToken).order_by(ApiToken.id.desc())).scalars())
    users = list(request.dbsession.execute(select(User).where(User.active.is_(True)).order_by(User.username)).scalars())
    return {"tokens": tokens, "users": users, "secret": None, **extra}


@view_config(route_name="admin.tokens", request_method="GET", renderer="admin/tokens.html", permission="admin")
def tokens(request):
    return _tokens_page(request)


@view_config(route_name="admin.tokens", request_method="POST", renderer="admin/tokens.html", permission="admin")
def token_create(request):
    name = _text(request, "name", 100)
    user_raw = _text(request, "user")
    user = _get(request, User, user_raw) if int_param(user_raw) is not None else request.user
    if not name or user is None:
        request.response.status = 400
        return _tokens_page(request, error="请填写令牌名称并选择用户 (name and user are required)")
    secret = create_api_token(request.dbsession, user, name)
    # Shown once, in this response only: never flashed (the session cookie is signed, not encrypted).
    request.response.headers["Cache-Control"] = "no-store"
    return _tokens_page(request, secret=secret, secret_name=name)


@view_config(route_name="admin.token_revoke", request_method="POST", permission="admin")
def token_revoke(request):
    token = request.dbsession.get(ApiToken, matched_id(request))
    if token is None:
        raise HTTPNotFound("没有这个令牌")
    revoke_api_token(request.dbsession, token.id)
    request.session.flash(f"令牌「{token.name}」已吊销。", "success")
    return _redirect(request, "admin.tokens")
