"""Users, password hashing (argon2) and API tokens."""
from __future__ import annotations

import datetime as dt
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import ApiToken, Department, LoginAttempt, User
from ..models.accounts import ROLES
from ..models.meta import utcnow
from ..security import hash_token

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


#: The web form and the CLI alike: names that can be typed at a login prompt and shown anywhere.
USERNAME_RE = re.compile(r"[A-Za-z0-9_.\-]{2,100}")


def create_user(session: Session, username: str, password: str, role: str, *,
                display_name: str = "", department_code: str | None = None,
                email: str | None = None) -> User:
    if not USERNAME_RE.fullmatch(username or ""):
        raise AccountError("用户名只能包含字母、数字、_ . -，2–100 位 / invalid username: "
                           "2-100 letters, digits, _ . -")
    if role not in ROLES:
        raise AccountError(f"未知角色 / unknown role {role!r}; one of {', '.join(ROLES)}")
    if len(display_name) > 100:
        raise AccountError("显示名最多 100 字 / display name longer than 100 characters")
    if len(password) < 8:
        raise AccountError("密码至少 8 位 / password must have at least 8 characters")
    department = None
    if role == "dept_head" and not department_code:
        raise AccountError("部门负责人必须指定部门 / a department head needs a department")
    if department_code:  # a manager may belong to a department too
        department = session.execute(
            select(Department).where(Department.code == department_code)
        ).scalar_one_or_none()
        if department is None:
            raise AccountError(f"未知部门 / unknown department {department_code!r}")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise AccountError(f"用户名已存在 / username {username!r} is taken")
    user = User(username=username, password_hash=hash_password(password), role=role,
                display_name=display_name or username, email=email, department=department)
    session.add(user)
    session.flush()
    return user


def create_api_token(session: Session, user: User, name: str) -> str:
    """Returns the secret once; only its SHA-256 is stored."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise AccountError("令牌名称须为 1–100 字 / a token name has 1-100 characters")
    secret = "fl_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, name=name, token_hash=hash_token(secret), prefix=secret[:10]))
    session.flush()
    return secret


def revoke_api_token(session: Session, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()


# --- login and its rate limit (issue 5) -------------------------------------------------------

LOGIN_WINDOW = dt.timedelta(minutes=5)
LOGIN_MAX_FAILURES = 10  # per username and per client IP within LOGIN_WINDOW


class LoginRefused(AccountError):
    """Wrong credentials or an inactive account."""


class LoginThrottled(LoginRefused):
    """Too many failures for this username or this client IP."""


def _recent_failures(session: Session, column, value: str, since: dt.datetime) -> int:
    return session.execute(
        select(func.count()).select_from(LoginAttempt)
        .where(column == value, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    ).scalar_one()


def login_throttled(session: Session, username: str, ip: str, now: dt.datetime | None = None) -> bool:
    since = (now or utcnow()) - LOGIN_WINDOW
    return (_recent_failures(session, LoginAttempt.username, username, since) >= LOGIN_MAX_FAILURES
            or _recent_failures(session, LoginAttempt.ip, ip, since) >= LOGIN_MAX_FAILURES)


def authenticate(session: Session, username: str, password: str, ip: str) -> User:
    """The user for these credentials, or LoginRefused. Every attempt is recorded (the rate limit
    counts failures per username and per IP over the last 5 minutes); a throttled attempt is
    refused before the password is even checked, so guessing gains nothing."""
    username = (username or "").strip()[:100]
    ip = (ip or "unknown")[:64]
    if login_throttled(session, username, ip):
        session.add(LoginAttempt(username=username, ip=ip, success=False))
        raise LoginThrottled("登录失败次数过多，请 5 分钟后再试 (too many failed logins; try again in 5 minutes).")
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = verify_password(user, password or "")
    if ok and not user.active:
        ok = False
    session.add(LoginAttempt(username=username, ip=ip, success=ok))
    if not ok:
        session.flush()
        raise LoginRefused("用户名或密码错误，或账号已停用 (wrong username or password, or the account is deactivated).")
    user.last_login_at = utcnow()
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < 8:
        raise AccountError("密码至少 8 位 / password must have at least 8 characters")
    user.password_hash = hash_password(password)
