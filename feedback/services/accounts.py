"""Users, password hashing (argon2) and API tokens."""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ApiToken, Department, User
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


def create_user(session: Session, username: str, password: str, role: str, *,
                display_name: str = "", department_code: str | None = None,
                email: str | None = None) -> User:
    if role not in ROLES:
        raise AccountError(f"未知角色 / unknown role {role!r}; one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise AccountError("密码至少 8 位 / password must have at least 8 characters")
    department = None
    if role == "dept_head":
        if not department_code:
            raise AccountError("部门负责人必须指定部门 / a department head needs a department")
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
    secret = "fl_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, name=name, token_hash=hash_token(secret), prefix=secret[:10]))
    session.flush()
    return secret


def revoke_api_token(session: Session, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
