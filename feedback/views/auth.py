"""Login, logout and the home redirect."""
from __future__ import annotations

from urllib.parse import urlsplit

from pyramid.csrf import new_csrf_token
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.security import NO_PERMISSION_REQUIRED, forget, remember
from pyramid.view import view_config

from ..security import role_may_open
from ..services.accounts import LoginRefused, LoginThrottled, authenticate


def _safe_next(request, target: str | None) -> str | None:
    """Only same-site paths: `next` must never send a user to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _allowed_next(request, user, target: str | None) -> str | None:
    """A `next` the user's role may not open (a shared triage link, for a department head) is
    dropped: they land on their own start page, not on a 403."""
    if target and not role_may_open(request, user.role, urlsplit(target).path[len(request.script_name):]):
        return None
    return target


def landing_url(request, user) -> str:
    # (computed from the role: right after login request.user is still the anonymous one)
    if user.role in ("admin", "manager"):
        return request.route_url("triage.list")
    return request.route_url("tasks.board")


@view_config(route_name="home", permission=NO_PERMISSION_REQUIRED)
def home(request):
    if request.user is None:
        return HTTPSeeOther(request.route_url("auth.login"))
    return HTTPSeeOther(landing_url(request, request.user))


@view_config(route_name="auth.login", request_method="GET", renderer="auth/login.html",
             permission=NO_PERMISSION_REQUIRED)
def login_form(request):
    if request.user is not None:
        return HTTPSeeOther(landing_url(request, request.user))
    return {"username": "", "error": None, "next": _safe_next(request, request.GET.get("next")) or ""}


@view_config(route_name="auth.login", request_method="POST", renderer="auth/login.html",
             permission=NO_PERMISSION_REQUIRED)
def login_submit(request):
    username = request.POST.get("username", "").strip()
    password = request.POST.get("password", "")
    target = _safe_next(request, request.POST.get("next"))
    try:
        user = authenticate(request.dbsession, username, password, request.client_addr or "unknown")
    except LoginRefused as exc:
        if isinstance(exc, LoginThrottled):
            request.response.status = 429
        return {"username": username, "error": str(exc), "next": target or ""}
    # A fresh session on login (no fixation), with a fresh CSRF token.
    request.session.invalidate()
    new_csrf_token(request)
    headers = remember(request, user.id)
    request.session.flash(f"欢迎，{user.display_name or user.username}。", "success")
    return HTTPSeeOther(_allowed_next(request, user, target) or landing_url(request, user), headers=headers)


@view_config(route_name="auth.logout", request_method="POST", permission=NO_PERMISSION_REQUIRED)
def logout(request):
    headers = forget(request)
    request.session.invalidate()
    request.session.flash("已退出登录。", "success")
    return HTTPSeeOther(request.route_url("auth.login"), headers=headers)
