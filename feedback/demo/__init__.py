"""Demo data: departments, demo accounts and a realistic export set (see generate.py)."""
from __future__ import annotations

import datetime as dt
import tempfile

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ImportBatch, User

DEMO_PASSWORD = "demo-pass-2024"
# username -> (role, department code, display name)
DEMO_USERS = {
    "admin": ("admin", None, "系统管理员"),
    "manager": ("manager", None, "评价经理"),
    "head_qc": ("dept_head", "qc", "品控负责人"),
    "head_logistics": ("dept_head", "logistics", "物流负责人"),
    "head_warehouse": ("dept_head", "warehouse", "仓储负责人"),
    "head_rnd": ("dept_head", "rnd", "研发负责人"),
    "head_cs": ("dept_head", "cs", "客服负责人"),
}


def ensure_demo_users(session: Session) -> list[str]:
    """Create the demo accounts that are missing; never touches existing ones."""
    from ..services.accounts import create_user

    existing = set(session.execute(select(User.username).where(User.username.in_(list(DEMO_USERS)))).scalars())
    created = []
    for username, (role, department, display) in DEMO_USERS.items():
        if username not in existing:
            create_user(session, username, DEMO_PASSWORD, role, display_name=display, department_code=department)
            created.append(username)
    return created


def demo_loaded(session: Session) -> bool:
    return session.execute(select(ImportBatch.id).where(ImportBatch.source == "demo").limit(1)).first() is not None


def load_demo_data(session: Session, today: dt.date | None = None, force: bool = False) -> dict:
    """Departments, and (once) the demo accounts and exports. Idempotent: a second run adds
    nothing, and a demo account deactivated, renamed or removed since stays so (``force`` loads
    the exports again and recreates missing accounts)."""
    from ..importing import import_file
    from ..services.departments import ensure_departments
    from .generate import write_demo_files

    ensure_departments(session)
    if demo_loaded(session) and not force:
        return {"users_created": [], "files": {}, "skipped": True}
    users = ensure_demo_users(session)
    summary = {"users_created": users, "files": {}, "skipped": False}
    with tempfile.TemporaryDirectory(prefix="feedback-demo-") as tmp:
        files = write_demo_files(tmp, today=today)
        for kind, paths in files.items():
            for path in paths:
                result = import_file(session, path, kind, created_by="demo", source="demo")
                summary["files"][path.name] = {k: getattr(result, k) for k in ("inserted", "updated", "duplicates", "rejected")}
    return summary
