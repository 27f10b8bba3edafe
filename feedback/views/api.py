"""The ingestion API: POST /api/v1/reviews and /api/v1/tickets (bearer token, permission "ingest").

These views are token-authenticated, not cookie-authenticated, so they opt out of CSRF, and they
answer 401/403 as JSON themselves (the HTML login redirect is for people, not scripts). The work
is the same service as the file import: feedback.importing.import_items.
"""
from __future__ import annotations

import json
from importlib import resources

from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import notfound_view_config, view_config

from ..importing import ImportFileError, import_items

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_ITEMS = 1000


def _error(request, status: int, message: str, **extra) -> dict:
    request.response.status = status
    if status == 401:
        request.response.headers["WWW-Authenticate"] = 'Bearer realm="feedback"'
    return {"status": status, "error": message, **extra}


def _no_constant(name: str):
    # Python's parser takes NaN and Infinity, which JSON does not have
    raise ValueError(f"{name} is not valid JSON")


def _read_body(request):
    """(payload, None) or (None, error response dict)."""
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        return None, _error(request, 413, f"请求体过大 / body too large: max {MAX_BODY_BYTES} bytes")
    raw = request.body_file.read(MAX_BODY_BYTES + 1) if length is None else request.body
    if len(raw) > MAX_BODY_BYTES:
        return None, _error(request, 413, f"请求体过大 / body too large: max {MAX_BODY_BYTES} bytes")
    try:
        payload = json.loads(raw.decode("utf-8-sig"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        return None, _error(request, 400, "请求体须为 UTF-8 JSON / the body must be UTF-8 JSON")
    except json.JSONDecodeError as exc:
        return None, _error(request, 400, f"JSON 无法解析 / invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    except (ValueError, RecursionError) as exc:  # NaN, a number of thousands of digits, deep nesting
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:120]
        return None, _error(request, 400, f"JSON 无法解析 / invalid JSON: {reason}")
    if isinstance(payload, list):
        payload = {"items": payload}
    if not isinstance(payload, dict) or not isinstance(payload.get("items"), list):
        return None, _error(request, 400, '请求体须为 {"platform": "...", "items": [...]} / '
                                          'the body must be an object with an "items" array')
    if payload.get("platform") is not None and not isinstance(payload["platform"], str):
        return None, _error(request, 400, "platform 须为字符串 / platform must be a string")
    if len(payload["items"]) > MAX_ITEMS:
        return None, _error(request, 413, f"条目过多 / too many items: {len(payload['items'])} (max {MAX_ITEMS} per request)")
    if not payload["items"]:
        return None, _error(request, 400, "items 为空 / items is empty")
    return payload, None


def _ingest(request, kind: str):
    if request.user is None:
        return _error(request, 401, "需要有效的 API 令牌 / a valid API token is required (Authorization: Bearer <token>)")
    if not request.has_permission("ingest"):
        return _error(request, 403, "该账号无导入权限 / this account may not ingest data")
    payload, error = _read_body(request)
    if error is not None:
        return error
    platform = payload.get("platform")
    try:
        result = import_items(request.dbsession, kind, payload["items"], platform=platform,
                              created_by=request.user.username)
    except ImportFileError as exc:  # an unknown "platform" for the whole body
        return _error(request, 422, str(exc))
    errors = sum(1 for item in result.items if item.status == "error")
    if errors == 0:
        status = 200
    elif errors == len(result.items):
        status = 422
    else:
        status = 207
    request.response.status = status
    return {
        "status": status,
        "import_batch_id": result.import_batch_id,
        "inserted": result.inserted,
        "updated": result.updated,
        "duplicates": result.duplicates,
        "rejected": result.rejected,
        "results": [item.as_dict() for item in result.items],
    }


@view_config(route_name="api.reviews", request_method="POST", renderer="json",
             permission=NO_PERMISSION_REQUIRED, require_csrf=False)
def post_reviews(request):
    return _ingest(request, "reviews")


@view_config(route_name="api.tickets", request_method="POST", renderer="json",
             permission=NO_PERMISSION_REQUIRED, require_csrf=False)
def post_tickets(request):
    return _ingest(request, "tickets")


def openapi_document() -> dict:
    return json.loads(resources.files("feedback").joinpath("openapi.json").read_text(encoding="utf-8"))


@view_config(route_name="api.openapi", request_method="GET", renderer="json", permission=NO_PERMISSION_REQUIRED)
def openapi(request):
    return openapi_document()


@notfound_view_config(path_info=r"^/api/", append_slash=False)
def api_not_found(exc, request):
    """JSON for scripts: 405 with ``Allow`` when the path is an API route and only the method is
    wrong (GET /api/v1/reviews), else 404."""
    if request.matched_route is not None:
        allowed = "GET" if request.matched_route.name == "api.openapi" else "POST"
        response = Response(json_body={"status": 405, "error": f"方法不允许 / method not allowed: use {allowed}"})
        response.status = 405
        response.headers["Allow"] = allowed
        return response
    response = Response(json_body={"status": 404, "error": f"没有这个接口 / no such endpoint: {request.path}"})
    response.status = 404
    return response
