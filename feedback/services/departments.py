"""The five owning departments and the default routing table (both plain data, editable)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Department, RoutingRule

DEFAULT_DEPARTMENTS = {
    "warehouse": "仓储",
    "logistics": "物流",
    "qc": "品控",
    "rnd": "研发",
    "cs": "客服",
}

# category -> department code; the rule table in the database is what routing reads.
DEFAULT_ROUTES = {
    "taste": "rnd",
    "freshness": "qc",
    "quality": "qc",
    "logistics": "logistics",
    "service": "cs",
    "price": "cs",
    "other": "cs",
}


def ensure_departments(session: Session) -> dict[str, Department]:
    """Create missing default departments and routing rules; never overwrites edits."""
    existing = {d.code: d for d in session.execute(select(Department)).scalars()}
    for code, name in DEFAULT_DEPARTMENTS.items():
        if code not in existing:
            existing[code] = Department(code=code, name=name)
            session.add(existing[code])
    session.flush()
    if session.execute(select(RoutingRule.id).limit(1)).first() is None:
        for category, code in DEFAULT_ROUTES.items():
            session.add(RoutingRule(category=category, department=existing[code], priority=100))
        session.flush()
    return existing
