"""The route list: names are part of the app's interface (templates and other teams link to them).
Asserts a required subset, so routes added by other features do not break it."""
from pyramid.interfaces import IRoutesMapper

REQUIRED = {
    "home": "/", "health": "/health",
    "auth.login": "/login", "auth.logout": "/logout",
    "triage.list": "/triage", "triage.bulk": "/triage/bulk", "triage.corrections_export": "/triage/corrections.jsonl",
    "entries.detail": "/entries/{id:\\d+}", "entries.correct": "/entries/{id:\\d+}/correct",
    "ledger.list": "/ledger",
    "tasks.board": "/tasks", "tasks.detail": "/tasks/{id:\\d+}", "tasks.transition": "/tasks/{id:\\d+}/transition",
    "tasks.comment": "/tasks/{id:\\d+}/comment", "tasks.adjust": "/tasks/{id:\\d+}/adjust",
    "admin.users": "/admin/users", "admin.user_update": "/admin/users/{id:\\d+}",
    "admin.departments": "/admin/departments", "admin.department_update": "/admin/departments/{id:\\d+}",
    "admin.routing": "/admin/routing", "admin.routing_update": "/admin/routing/{id:\\d+}",
    "admin.tokens": "/admin/tokens", "admin.token_revoke": "/admin/tokens/{id:\\d+}/revoke",
    "api.reviews": "/api/v1/reviews", "api.tickets": "/api/v1/tickets",
    # other features' entry points, linked from the layout's navigation
    "replies.list": "/replies", "exports.list": "/exports",
    "imports.list": "/imports", "imports.detail": "/imports/{id:\\d+}",
    "imports.rejected": "/imports/{id:\\d+}/rejected.csv",
}


def test_required_routes_exist_with_their_patterns(app):
    mapper = app.registry.getUtility(IRoutesMapper)
    routes = {r.name: r.pattern for r in mapper.get_routes() if not r.name.startswith("__")}
    missing = {n: p for n, p in REQUIRED.items() if routes.get(n) != p}
    assert not missing, f"missing or changed routes: {missing}"


def test_route_names_are_dotted_and_unique(app):
    mapper = app.registry.getUtility(IRoutesMapper)
    names = [r.name for r in mapper.get_routes() if not r.name.startswith("__")]
    assert len(names) == len(set(names))
    for name in names:
        assert name in ("home", "health") or "." in name, name
