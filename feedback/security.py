"""Authentication (session cookie for people, bearer token for the API), roles, ACL, CSRF and
security headers.

Pyramid is open by default: `set_default_permission("view")` closes every view that does not
say otherwise, and views that must stay public (login, health) say NO_PERMISSION_REQUIRED.
"""
from __future__ import annotations

import datetime as dt
import hashlib

from pyramid.authentication import AuthTktCookieHelper
from pyramid.authorization import ALL_PERMISSIONS, Allow, Authenticated, ACLHelper, Everyone
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.events import NewResponse, subscriber
from pyramid.interfaces import IRoutesMapper, ISecurityPolicy
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.session import JSONSerializer, SignedCookieSessionFactory
from pyramid.settings import asbool
from sqlalchemy import select

from .models import ApiToken, User
from .models.meta import utcnow

# Which role may do what; department scoping is checked again by the services.
ROLE_PERMISSIONS = {
    "admin": ALL_PERMISSIONS,
    "manager": ("view", "triage", "ledger", "ingest", "reply", "export", "tasks.view", "tasks.assign"),
    "dept_head": ("view", "tasks.view", "tasks.work"),
}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
])


class Root:
    """The root context: one ACL built from ROLE_PERMISSIONS."""

    __acl__ = [(Allow, f"role:{role}", perms) for role, perms in ROLE_PERMISSIONS.items()]

    def __init__(self, request):
        self.request = request


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class SecurityPolicy:
    def __init__(self, secret: str, secure: bool, timeout: int):
        self.authtkt = AuthTktCookieHelper(
            secret,
            cookie_name="fl_auth",
            secure=secure,
            http_only=True,
            samesite="Lax",
            wild_domain=False,
            timeout=timeout,  # tickets expire; the helper never expires them without this
            reissue_time=timeout // 10,
            hashalg="sha512",
        )
        self.acl = ACLHelper()

    def identity(self, request) -> User | None:
        return request.user

    def authenticated_userid(self, request):
        user = request.user
        return None if user is None else user.id

    def permits(self, request, context, permission):
        return self.acl.permits(context, principals_for(request.user), permission)

    def remember(self, request, userid, **kw):
        return self.authtkt.remember(request, userid, **kw)

    def forget(self, request, **kw):
        return self.authtkt.forget(request, **kw)


def principals_for(user: User | None) -> list[str]:
    principals = [Everyone]
    if user is not None and user.active:
        principals += [Authenticated, f"user:{user.id}", f"role:{user.role}"]
        if user.department_id is not None:
            principals.append(f"dept:{user.department_id}")
    return principals


def _bearer_token(request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return request.headers.get("X-Api-Token") or None


def get_user(request) -> User | None:
    """The user behind this request: an API token, else the auth ticket cookie."""
    token = _bearer_token(request)
    if token:
        row = request.dbsession.execute(
            select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
        ).scalar_one_or_none()
        if row is None or not row.user.active:
            return None
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
            row.last_used_at = now
        return row.user
    policy = request.registry.queryUtility(ISecurityPolicy)
    ticket = policy.authtkt.identify(request)
    if not ticket:
        return None
    user = request.dbsession.get(User, ticket["userid"])
    return user if user is not None and user.active else None


@subscriber(NewResponse)
def security_headers(event):
    headers = event.response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    # a page rendered for a signed-in user is not kept by the browser: after logging out on a
    # shared PC, Back must not show the ledger again ("user" is in __dict__ once looked up)
    if event.request.__dict__.get("user") is not None and "Cache-Control" not in headers:
        headers["Cache-Control"] = "private, no-store"


def includeme(config):
    settings = config.get_settings()
    secret = settings["feedback.secret"]
    secure = asbool(settings.get("feedback.secure_cookies", True))
    timeout = int(settings.get("feedback.session_timeout", 8 * 3600))

    config.set_session_factory(SignedCookieSessionFactory(
        secret + "-session",
        cookie_name="fl_session",
        secure=secure,
        httponly=True,
        samesite="Lax",
        timeout=timeout,
        reissue_time=timeout // 10,
        serializer=JSONSerializer(),
    ))
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    config.set_default_csrf_options(require_csrf=True)

    policy = SecurityPolicy(secret + "-auth", secure, timeout)
    config.set_security_policy(policy)
    config.set_root_factory(Root)
    config.set_default_permission("view")
    config.add_request_method(get_user, "user", reify=True)
    config.scan(__name__)


def role_may_open(request, role: str, path: str) -> bool:
    """Whether a user of ``role`` may GET the page at ``path`` (the app's own path, without the
    script name): the permission of the view its route serves, read off the configuration, so a
    new page needs no list kept here. A path no route matches is allowed (its 404 says so)."""
    mapper = request.registry.queryUtility(IRoutesMapper)
    route = next((r for r in mapper.get_routes() if r.match(path) is not None), None) if mapper else None
    if route is None:
        return True
    granted = ROLE_PERMISSIONS.get(role, ())
    for item in request.registry.introspector.get_category("views"):
        view = item["introspectable"]
        methods = view["request_methods"]
        if view["route_name"] != route.name or (methods and "GET" not in methods):
            continue
        perms = [r["value"] for r in item["related"] if r.category_name == "permissions"] or ["view"]
        if granted is ALL_PERMISSIONS or any(p == NO_PERMISSION_REQUIRED or p in granted for p in perms):
            return True
    return False

