"""The permission matrix: each role × each page and action, and department scoping."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from feedback.models import ApiToken

from . import web_factories as wf

PAGES = {  # path -> roles that may open it
    "/triage": {"admin", "manager"},
    "/ledger": {"admin", "manager"},
    "/tasks": {"admin", "manager", "dept_head"},
    "/triage/corrections.jsonl": {"admin", "manager"},
    "/imports": {"admin", "manager"},
    "/admin/users": {"admin"},
    "/admin/departments": {"admin"},
    "/admin/routing": {"admin"},
    "/admin/tokens": {"admin"},
}
ROLES = ("admin", "manager", "dept_head")


@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(testapp, dbsession, role):
    u = wf.user(dbsession, role)
    wf.login(testapp, u.username)
    for path, allowed in PAGES.items():
        res = testapp.get(path, status="*")
        expected = 200 if role in allowed else 403
        assert res.status_int == expected, (role, path, res.status_int)


@pytest.mark.parametrize("path", list(PAGES) + ["/entries/1", "/tasks/1"])
def test_anonymous_is_sent_to_login(testapp, path):
    res = testapp.get(path, status=303)
    assert "/login" in res.location


def _post_actions(entry_id, task_id, user_id, dept_id, token_id):
    # (path, form, roles allowed) — a refused POST is a 403 and changes nothing
    return [
        (f"/entries/{entry_id}/correct", {"action": "confirm"}, {"admin", "manager"}),
        ("/triage/bulk", {"bulk_action": "confirm", "scope": "selection", "ids": str(entry_id)}, {"admin", "manager"}),
        ("/admin/users", {"username": "newbie", "password": "long-enough-1", "role": "manager"}, {"admin"}),
        (f"/admin/users/{user_id}", {"action": "deactivate"}, {"admin"}),
        (f"/admin/departments/{dept_id}", {"name": "品控部"}, {"admin"}),
        ("/admin/routing", {"category": "taste", "department": str(dept_id), "priority": "5"}, {"admin"}),
        ("/admin/tokens", {"name": "erp"}, {"admin"}),
        (f"/admin/tokens/{token_id}/revoke", {}, {"admin"}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_action_matrix(testapp, dbsession, role):
    from feedback.services.accounts import create_api_token

    depts = wf.departments(dbsession)
    u = wf.user(dbsession, role)
    victim = wf.user(dbsession, "manager")
    token_owner = wf.user(dbsession, "admin")
    create_api_token(dbsession, token_owner, "t")
    token_id = dbsession.execute(select(ApiToken.id).where(ApiToken.user_id == token_owner.id)).scalar_one()
    e = wf.complaint(dbsession, "权限测试")
    t = wf.task(dbsession, "qc", entries=[e])
    wf.login(testapp, u.username)
    token = wf.csrf(testapp)
    for path, form, allowed in _post_actions(e.id, t.id, victim.id, depts["qc"].id, token_id):
        res = testapp.post(path, {**form, "csrf_token": token}, status="*")
        if role in allowed:
            assert res.status_int in (200, 303), (role, path, res.status_int)
        else:
            assert res.status_int == 403, (role, path, res.status_int)
    dbsession.refresh(victim)
    assert victim.active is (role != "admin")


def test_dept_head_sees_only_own_department(testapp, dbsession):
    head = wf.user(dbsession, "dept_head", dept="qc")
    mine_entry = wf.complaint(dbsession, "品控的证据")
    their_entry = wf.complaint(dbsession, "物流的证据")
    loose_entry = wf.complaint(dbsession, "没有任务的评价")
    mine = wf.task(dbsession, "qc", entries=[mine_entry])
    theirs = wf.task(dbsession, "logistics", entries=[their_entry])
    wf.login(testapp, head.username)
    token = wf.csrf(testapp)
    assert testapp.get(f"/tasks/{mine.id}").status_int == 200
    testapp.get(f"/tasks/{theirs.id}", status=404)
    assert testapp.get(f"/entries/{mine_entry.id}").status_int == 200
    testapp.get(f"/entries/{their_entry.id}", status=404)
    testapp.get(f"/entries/{loose_entry.id}", status=404)
    # read-only view of an evidence review: no correction form
    assert "correct-form" not in testapp.get(f"/entries/{mine_entry.id}").text
    # actions on another department's task: 404, nothing changes
    testapp.post(f"/tasks/{theirs.id}/transition", {"to": "acknowledged", "csrf_token": token}, status=404)
    testapp.post(f"/tasks/{theirs.id}/comment", {"comment": "x", "csrf_token": token}, status=404)
    dbsession.refresh(theirs)
    assert theirs.status == "open"
    testapp.post(f"/tasks/{mine.id}/transition", {"to": "acknowledged", "csrf_token": token}, status=303)
    dbsession.refresh(mine)
    assert mine.status == "acknowledged"


def test_nav_is_shown_by_role(testapp, dbsession):
    head = wf.user(dbsession, "dept_head", dept="qc")
    wf.login(testapp, head.username)
    nav = testapp.get("/tasks").html.select_one("nav.mainnav").text
    assert "整改任务" in nav and "分诊" not in nav and "管理" not in nav


def test_api_token_user_cannot_open_pages_without_role(testapp, dbsession):
    from feedback.services.accounts import create_api_token

    head = wf.user(dbsession, "dept_head", dept="qc")
    secret = create_api_token(dbsession, head, "x")
    res = testapp.get("/triage", headers={"Authorization": f"Bearer {secret}"}, status="*")
    assert res.status_int == 403
