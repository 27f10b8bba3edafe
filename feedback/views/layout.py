"""What every page shares: the navigation (by role), the CSRF token, and the error pages.

Other engineers' templates `{% extends "layout.html" %}`; the names below are available in every
Jinja2 template: `nav_items`, `csrf_token`, `role_label`, `dept_label`.
"""
from __future__ import annotations

from urllib.parse import unquote_to_bytes

from pyramid.csrf import get_csrf_token
from pyramid.events import BeforeRender, subscriber
from pyramid.exceptions import BadCSRFToken
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.interfaces import IRoutesMapper
from pyramid.renderers import render_to_response
from pyramid.response import Response
from pyramid.view import exception_view_config, forbidden_view_config, notfound_view_config

ROLE_LABELS = {"admin": "管理员", "manager": "评价经理", "dept_head": "部门负责人"}

# (label, candidate route names — the first one registered is used, permission)
NAV = [
    ("分诊", ("triage.list",), "triage"),
    ("中差评明细", ("ledger.list",), "ledger"),
    ("整改任务", ("tasks.board",), "tasks.view"),
    ("评价解释", ("replies.list", "replies.index", "replies"), "reply"),
    ("导入", ("imports.list",), "ingest"),
    ("报表", ("exports.list", "exports.index", "exports"), "export"),
    ("管理", ("admin.users",), "admin"),
]

# Pages under /api/ answer JSON errors of their own; these HTML pages are for people.
NOT_API = r"^/(?!api/)"


def role_label(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", role or "")


def _route_exists(request, name: str) -> bool:
    mapper = request.registry.queryUtility(IRoutesMapper)
    return mapper is not None and mapper.get_route(name) is not None


def nav_items(request) -> list[dict]:
    items = []
    if request.user is None:
        return items
    matched = getattr(request, "matched_route", None)
    current = matched.name if matched is not None else ""
    for label, names, permission in NAV:
        name = next((n for n in names if _route_exists(request, n)), None)
        if name is None or not request.has_permission(permission):
            continue
        prefix = name.split(".")[0]
        items.append({"label": label, "url": request.route_url(name),
                      "active": current == name or current.startswith(prefix + ".")})
    return items


@subscriber(BeforeRender)
def add_layout_globals(event):
    request = event.get("request")
    if request is None or event.get("renderer_name", "").endswith(".json"):
        return
    event.setdefault("nav_items", nav_items(request))
    event.setdefault("csrf_token", get_csrf_token(request))
    event.setdefault("role_label", role_label)


@exception_view_config(BadCSRFToken, path_info=NOT_API)
def bad_csrf(exc, request):
    """Pyramid answers a missing or stale CSRF token with a bare 400; show a page that says why."""
    response = render_to_response("errors/csrf.html", {"request": request}, request=request)
    response.status = 400
    return response


@forbidden_view_config(path_info=NOT_API)
def forbidden(exc, request):
    if request.user is None:
        query = {"next": request.path_qs} if request.method == "GET" else {}
        return HTTPSeeOther(request.route_url("auth.login", _query=query))
    response = render_to_response("errors/403.html", {"request": request}, request=request)
    response.status = 403
    return response


@notfound_view_config(path_info=NOT_API, append_slash=False)
def notfound(exc, request):
    response = render_to_response("errors/404.html", {"request": request, "message": str(exc.detail or "")},
                                  request=request)
    response.status = 404
    return response


def _undecodable(encoded: str) -> bool:
    """Whether a percent-encoded query string is not UTF-8 once decoded."""
    try:
        unquote_to_bytes(encoded.replace("+", " ")).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


@exception_view_config(UnicodeDecodeError)
def undecodable_request(exc, request):
    """A query string that is not UTF-8 (``?sku=%ff``): the request is bad, not the server (WebOb
    decodes forms with replacement characters itself). Any other UnicodeDecodeError is a bug and
    stays one."""
    if not _undecodable(request.environ.get("QUERY_STRING", "")):
        raise exc
    message = "请求中的参数不是 UTF-8 编码 / the request's parameters are not UTF-8"
    if request.path_info.startswith("/api/"):
        response = Response(json_body={"status": 400, "error": message})
    else:
        response = Response(message, content_type="text/plain", charset="utf-8")
    response.status = 400
    return response
